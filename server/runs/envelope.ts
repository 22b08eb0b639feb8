import { z } from "zod";

/**
 * What wflo adds to the data of an event it sends to start a workflow: who asked, and which
 * run a re-run repeats. It travels inside the event so that every Inngest server carries it
 * to the SDK unchanged; the workflow's own input is the rest of `data`.
 */
export const WFLO_ENVELOPE_KEY = "_wflo";

export const wfloEnvelope = z.object({
  triggeredBy: z.object({ id: z.uuid().nullable(), email: z.string().min(1) }).optional(),
  rerunOf: z.string().min(1).optional(),
  /** The run's own budget (runs.trigger `budgetUsd`), nano-dollars as a decimal string: every LLM call of the run is held to it. */
  budgetNano: z.string().regex(/^\d{1,20}$/).optional(),
  /** `wflo run --require-approval`: every LLM call of the run (wflo.llm, trackLlmCall, wrap, adapters) waits for an approval; calls made inside a step are refused (server/approvals/gated-llm.ts, llm-gate-scope.ts). */
  requireApproval: z.boolean().optional(),
  /**
   * A fork (server/recovery/service.ts): the middleware serves the parent's recorded `step.run`
   * results up to `upToPosition` without executing them, so no LLM call is made or billed again.
   * `state` replaces what the checkpoint step saves (an operator's edit).
   */
  forkOf: z
    .object({
      runId: z.string().min(1),
      upToPosition: z.number().int().nonnegative(),
      checkpoint: z.object({ name: z.string().min(1), version: z.number().int().positive() }).optional(),
      state: z.unknown().optional(),
    })
    .optional(),
});
export type WfloEnvelope = z.infer<typeof wfloEnvelope>;

/** Splits event data into the workflow input and wflo's envelope; a malformed envelope is ignored, never fatal. */
export function splitEventData(data: unknown): { input: Record<string, unknown>; envelope: WfloEnvelope } {
  if (!data || typeof data !== "object" || Array.isArray(data)) return { input: {}, envelope: {} };
  const { [WFLO_ENVELOPE_KEY]: raw, ...input } = data as Record<string, unknown>;
  const parsed = wfloEnvelope.safeParse(raw ?? {});
  return { input, envelope: parsed.success ? parsed.data : {} };
}

export function withEnvelope(input: Record<string, unknown>, envelope: WfloEnvelope): Record<string, unknown> {
  return { ...input, [WFLO_ENVELOPE_KEY]: envelope };
}
