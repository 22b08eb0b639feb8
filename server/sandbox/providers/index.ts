import { SANDBOX_PROVIDERS, SandboxInputError, type SandboxProvider, type SandboxProviderName } from "../types";
import { bubblewrapProvider } from "./bubblewrap";
import { dockerProvider } from "./docker";
import { e2bProvider } from "./e2b";
import { isolatedVmProvider } from "./isolated-vm";
import { env } from "@/server/env";

/** Every provider behind `wflo.sandbox.run`; which one runs is configuration, never a fallback. */
const PROVIDERS: Record<SandboxProviderName, SandboxProvider> = {
  bubblewrap: bubblewrapProvider,
  "isolated-vm": isolatedVmProvider,
  docker: dockerProvider,
  e2b: e2bProvider,
};

/** WFLO_SANDBOX_PROVIDER, else bubblewrap (the default on Linux; elsewhere it reports itself unavailable). */
export function configuredProviderName(): SandboxProviderName {
  const v = env.WFLO_SANDBOX_PROVIDER;
  if (!v) return "bubblewrap";
  if (!(SANDBOX_PROVIDERS as readonly string[]).includes(v)) {
    throw new SandboxInputError(
      `WFLO_SANDBOX_PROVIDER: "${v}" is not a sandbox provider (one of: ${SANDBOX_PROVIDERS.join(", ")})`,
    );
  }
  return v as SandboxProviderName;
}

export function sandboxProvider(name: SandboxProviderName): SandboxProvider {
  return PROVIDERS[name];
}

export const allSandboxProviders = (): SandboxProvider[] => Object.values(PROVIDERS);
