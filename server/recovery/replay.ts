import { fieldError } from "@/server/errors";
import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runFingerprints, runs, runSteps } from "@/db/schema";
import { signEvent, withEnvelope } from "@/server/runs/envelope";
import { workflowCatalog } from "@/server/workflows/workflow-catalog";
import { jsonDiff } from "./diff";
import { fingerprintOf } from "./fingerprint";

/**
 * "Replay run": executes today's workflow code in this process against a past run's recorded
 * step results. Every step tool is answered from the records (LLM responses included), nothing
 * runs for real, so it costs nothing; the first step today's code asks for that the run did not
 * record (or asks for in another order) is the divergence.
 */

export type Divergence = { at: number; expected: string | null; got: string | null; reason: string };
export type ReplayReport = {
  runId: string;
  workflowId: string;
  /** Fingerprints of the recorded run and of today's code. */
  fingerprint: { recorded: string | null; current: string; changed: boolean };
  stepsReplayed: number;
  divergence: Divergence | null;
  outputMatches: boolean | null;
};

class Diverged extends Error {}

export async function replayRun(db: Database, runId: string): Promise<ReplayReport> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw fieldError("not_found", "runId", `no run with id ${runId}`);
  const wf = (await workflowCatalog()).find(run.workflowId);
  if (!wf)
    throw fieldError(
      "precondition_failed",
      "runId",
      `workflow ${run.workflowId} is no longer served by this app, so run ${runId} cannot be replayed`,
    );
  const recorded = (
    await db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.position))
  ).filter((s) => s.status === "completed");
  const [fp] = await db.select().from(runFingerprints).where(eq(runFingerprints.runId, runId));
  const current = fingerprintOf(wf);

  // Recorded results by step id, in order of occurrence (a repeated id is served in turn).
  const byId = new Map<string, unknown[]>();
  for (const s of recorded) byId.set(s.stepId, [...(byId.get(s.stepId) ?? []), s.output]);
  const asked: string[] = [];
  let divergence: Divergence | null = null;
  const answer = (id: string): unknown => {
    const at = asked.length;
    asked.push(id);
    const queue = byId.get(id);
    if (!queue || queue.length === 0) {
      divergence ??= {
        at,
        expected: recorded[at]?.stepId ?? null,
        got: id,
        reason: `today's code asks for step "${id}", which the recorded run ${queue ? "ran fewer times" : "never ran"}`,
      };
      throw new Diverged(divergence.reason);
    }
    return queue.shift();
  };
  const idOf = (arg: unknown) =>
    typeof arg === "string"
      ? arg
      : arg && typeof arg === "object" && "id" in arg
        ? String((arg as { id: unknown }).id)
        : "?";
  // Every step tool (run, sleep, waitForEvent, invoke, sendEvent, ...) takes its id first.
  const step = new Proxy({}, { get: (_t, _prop) => async (first: unknown) => answer(idOf(first)) });

  // Nothing is sent: the run's recorded attribution is handed to the middleware signed, as wflo sent it.
  const event = signEvent({
    id: run.eventId ?? `replay-${runId}`,
    name: run.eventName,
    data: withEnvelope((run.input ?? {}) as Record<string, unknown>, {
      ...(run.triggeredByEmail ? { triggeredBy: { id: run.triggeredById, email: run.triggeredByEmail } } : {}),
    }),
  });
  const base = { event, events: [event], runId, attempt: 0, step, logger: console };

  let output: unknown;
  let failed = false;
  try {
    // Today's code with ctx.wflo added as the middleware adds it (the catalog's replay, inngest/catalog.ts).
    output = await wf.replay(base);
  } catch (e) {
    failed = true;
    if (!(e instanceof Diverged))
      divergence ??= {
        at: asked.length,
        expected: recorded[asked.length]?.stepId ?? null,
        got: null,
        reason: `today's code threw: ${e instanceof Error ? e.message : String(e)}`,
      };
  }
  if (!divergence) {
    const orderAt = asked.findIndex((id, i) => recorded[i]?.stepId !== id);
    if (orderAt >= 0)
      divergence = {
        at: orderAt,
        expected: recorded[orderAt]?.stepId ?? null,
        got: asked[orderAt] ?? null,
        reason: `step ${orderAt + 1} is "${asked[orderAt]}" today but was "${recorded[orderAt]?.stepId}" in the recorded run`,
      };
    else if (asked.length < recorded.length)
      divergence = {
        at: asked.length,
        expected: recorded[asked.length]?.stepId ?? null,
        got: null,
        reason: `today's code finished without step "${recorded[asked.length]?.stepId}", which the recorded run ran`,
      };
  }
  return {
    runId,
    workflowId: run.workflowId,
    fingerprint: { recorded: fp?.fingerprint ?? null, current, changed: Boolean(fp && fp.fingerprint !== current) },
    stepsReplayed: asked.length,
    divergence,
    // Compared structurally: jsonb does not keep key order.
    outputMatches:
      failed || run.status !== "completed"
        ? null
        : jsonDiff(JSON.parse(JSON.stringify(output ?? null)) as unknown, run.output).length === 0,
  };
}
