/** A trace's summary: spans, LLM calls, tokens, exact cost, errors, duration and step latency percentiles. */

import type { Trace, TraceSpan } from "./types";

/** Percentile of sorted numbers by nearest rank. */
function pct(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

export function summarize(out: TraceSpan[], durationMs: number): Trace["summary"] {
  const llm = out.filter((s) => s.llm);
  const stepDurations = out
    .filter((s) => s.kind === "step" && s.endMs !== null && s.attributes["wflo.step.kind"] === "run")
    .map((s) => (s.endMs ?? 0) - s.startMs)
    .sort((a, b) => a - b);
  return {
    spans: out.length,
    llmCalls: llm.length,
    inputTokens: llm.reduce((n, s) => n + (s.llm?.inputTokens ?? 0), 0),
    outputTokens: llm.reduce((n, s) => n + (s.llm?.outputTokens ?? 0), 0),
    costNano: llm.reduce((n, s) => n + BigInt(s.llm?.costNano ?? "0"), 0n).toString(),
    errors: out.filter((s) => s.status === "error").length,
    durationMs,
    stepP50Ms: pct(stepDurations, 50),
    stepP95Ms: pct(stepDurations, 95),
  };
}
