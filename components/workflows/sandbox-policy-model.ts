/** The sandbox policy card's model: the API's shapes, the four limits and their units, form values, and field errors from the server. */

import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { errorCode, errorMessage, fieldIssues } from "@/components/trpc/errors";
import type { AppRouter } from "@/server/api/root";
import type { SandboxLimits } from "@/server/sandbox/types";

type Outputs = inferRouterOutputs<AppRouter>["sandbox"];
export type PolicyInput = inferRouterInputs<AppRouter>["sandbox"]["setPolicy"];
export type Policy = Outputs["policy"];
export type ProviderInfo = Outputs["providers"][number];
export type LimitKey = keyof SandboxLimits;

/** The four limits, in the order and units the API stores them (the form edits those units, so server messages match). */
export const LIMITS: { key: LimitKey; label: string; unit: string; human: (n: number) => string }[] = [
  { key: "timeoutMs", label: "Wall clock", unit: "ms", human: (n) => duration(n) },
  { key: "cpuSeconds", label: "CPU time", unit: "s", human: (n) => duration(n * 1000) },
  { key: "memoryMb", label: "Memory", unit: "MB", human: (n) => (n >= 1024 ? `${trim(n / 1024)} GB` : `${n} MB`) },
  { key: "maxOutputBytes", label: "Output (stdout+stderr)", unit: "bytes", human: (n) => bytes(n) },
];

/** "30 s" for 30000 ms; nothing when it would repeat the number and unit ("5 s" for 5 s). */
export function humanHint(l: (typeof LIMITS)[number], n: number): string | null {
  const h = l.human(n);
  return h === `${n} ${l.unit}` ? null : h;
}

/** Why the network row is never a toggle: the same reason `applyPolicy` refuses every grant. */
export const NETWORK_REASON =
  "No sandbox provider can enforce a host allowlist yet (that needs an egress proxy), and a grant would need an approval step, so code always runs without network.";

const trim = (n: number) => String(Math.round(n * 100) / 100);
function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  return `${trim(n / (1024 * 1024))} MiB`;
}

/**
 * setPolicy's input schema names each problem's full path as data (error.data.issues): limits are
 * keyed by "defaults.timeoutMs", lists by their name; anything else is shown as a general error.
 */
export function policyErrors(err: unknown): { fields: Record<string, string>; general: string | null } {
  if (!err) return { fields: {}, general: null };
  if (errorCode(err) !== "BAD_REQUEST") return { fields: {}, general: errorMessage(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const issue of fieldIssues(err)) {
    const key = /^(defaults\.\w+|maximums\.\w+|languages|providers)(?:\.\d+)?$/.exec(issue.field)?.[1];
    if (key) fields[key] ??= issue.message;
    else rest.push(issue.field ? `${issue.field}: ${issue.message}` : issue.message);
  }
  return { fields, general: rest.length ? rest.join("; ") : null };
}

export type Form = {
  languages: string[];
  providers: string[];
  defaults: Record<LimitKey, string>;
  maximums: Record<LimitKey, string>;
};

export const toForm = (p: Pick<Policy, "languages" | "providers" | "defaults" | "maximums">): Form => ({
  languages: [...p.languages],
  providers: [...p.providers],
  defaults: Object.fromEntries(LIMITS.map((l) => [l.key, String(p.defaults[l.key])])) as Form["defaults"],
  maximums: Object.fromEntries(LIMITS.map((l) => [l.key, String(p.maximums[l.key])])) as Form["maximums"],
});

/** A whole number is sent as one; anything else is sent as typed, so the server's message names the rule it breaks. */
const numeric = (v: string): number | string => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
export const limitsOf = (r: Record<LimitKey, string>) =>
  Object.fromEntries(LIMITS.map((l) => [l.key, numeric(r[l.key])]));
