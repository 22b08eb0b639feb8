import type { Database } from "@/db/client";
import { describeZodIssues } from "@/server/errors";
import { recordExecution, type ExecutionContext } from "./executions";
import { applyPolicy, defaultPolicy, getSandboxPolicy } from "./policy";
import { configuredProviderName, sandboxProvider } from "./providers";
import {
  SandboxInputError,
  SandboxPolicyError,
  sandboxRequestSchema,
  type SandboxLimits,
  type SandboxOutput,
  type SandboxProvider,
  type SandboxRequest,
  type SandboxResult,
} from "./types";

/**
 * One sandboxed execution, start to finish: parse the request, apply the workflow's policy,
 * make sure the chosen provider is really there (never a silent fallback), run, record.
 * Refusals are recorded too, so the run page shows what was asked and why it did not run.
 */

export function parseSandboxRequest(input: unknown): SandboxRequest {
  const parsed = sandboxRequestSchema.safeParse(input);
  if (!parsed.success)
    throw new SandboxInputError(`invalid sandbox request: ${describeZodIssues(parsed.error).message}`);
  return parsed.data;
}

export async function runSandbox(db: Database, ctx: ExecutionContext, input: unknown): Promise<SandboxResult> {
  const request = parseSandboxRequest(input);
  const startedAt = new Date();
  const t0 = performance.now();
  let providerName: string = request.provider ?? configuredProviderName();
  let limits: SandboxLimits | null = null;
  const base = () => ({ ctx, request, provider: providerName, limits, startedAt, durationMs: performance.now() - t0 });

  let provider: SandboxProvider;
  try {
    const policy = ctx.workflowId ? await getSandboxPolicy(db, ctx.workflowId) : defaultPolicy("(none)");
    const applied = applyPolicy(policy, request);
    providerName = applied.provider;
    limits = applied.limits;
    provider = sandboxProvider(applied.provider);
    if (!provider.languages.includes(request.language)) {
      throw new SandboxPolicyError(
        `language: the ${provider.name} provider runs ${provider.languages.join(", ")} only, not ${request.language}`,
      );
    }
    await provider.ensureAvailable();
  } catch (e) {
    await recordExecution(db, base(), { refused: e instanceof Error ? e.message : String(e) });
    throw e;
  }

  const resolved = limits;
  let output: SandboxOutput;
  try {
    output = await provider.run({
      language: request.language,
      code: request.code,
      files: request.files,
      stdin: request.stdin,
      limits: resolved,
    });
  } catch (e) {
    await recordExecution(db, base(), { failed: e instanceof Error ? e.message : String(e) });
    throw e;
  }
  const durationMs = Math.round(performance.now() - t0);
  const executionId = await recordExecution(db, { ...base(), durationMs }, { output });
  return { ...output, executionId, provider: provider.name, language: request.language, limits: resolved, durationMs };
}
