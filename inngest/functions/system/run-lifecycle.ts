import { z } from "zod";
import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { INNGEST_APP_ID } from "@/server/events/connection";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { cancelRunApprovals } from "@/server/approvals/lifecycle";
import { ensureRun, finishRun, toRecordedError, type RunOutcome } from "@/server/runs/recorder";

export const LIFECYCLE_EVENTS = [
  "inngest/function.cancelled",
  "inngest/function.failed",
  "inngest/function.finished",
] as const;

const lifecycleData = z.object({
  function_id: z.string(),
  run_id: z.string(),
  event: z.object({ id: z.string().nullish(), name: z.string(), data: z.unknown().optional() }).optional(),
  error: z.unknown().optional(),
  result: z.unknown().optional(),
});

const APP_PREFIX = `${INNGEST_APP_ID}-`;

/** The outcome an Inngest lifecycle event reports, or null when it concerns nothing wflo records. */
export function outcomeOf(name: string, data: z.infer<typeof lifecycleData>): RunOutcome | null {
  if (name === "inngest/function.cancelled") return { status: "cancelled" };
  if (name === "inngest/function.failed") return { status: "failed", error: toRecordedError(data.error) };
  if (name === "inngest/function.finished") {
    return data.error !== undefined && data.error !== null
      ? { status: "failed", error: toRecordedError(data.error) }
      : { status: "completed", output: data.result ?? null };
  }
  return null;
}

/**
 * Settles a run's final state from the server's own lifecycle events. Cancellation can only be
 * seen this way (the function is simply never called again); failed/finished are a safety net
 * for outcomes the middleware missed, e.g. attempts exhausted on a request that timed out.
 */
export const runLifecycle = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}run-lifecycle`,
    name: "wflo: record run outcomes",
    description: "Records cancellations and final outcomes reported by the Inngest server.",
    retries: 5,
    triggers: LIFECYCLE_EVENTS.map((event) => ({ event })),
  },
  async ({ event }) => {
    const parsed = lifecycleData.safeParse(event.data);
    if (!parsed.success) return { skipped: "unrecognised lifecycle payload" };
    const data = parsed.data;
    // Only this app's workflows have run rows.
    if (!data.function_id.startsWith(APP_PREFIX)) return { skipped: "another app" };
    const workflowId = data.function_id.slice(APP_PREFIX.length);
    const outcome = outcomeOf(event.name, data);
    if (!outcome) return { skipped: "not a lifecycle event" };
    const db = getDb();
    // A system function has a row only when recording kept one (a scheduled system run): that
    // row is settled, none is created, and it never has approvals.
    if (workflowId.startsWith(SYSTEM_FUNCTION_PREFIX)) {
      await finishRun(db, data.run_id, outcome);
      return { runId: data.run_id, status: outcome.status, system: true };
    }
    await ensureRun(db, { runId: data.run_id, workflowId, event: data.event ?? { name: "unknown" } });
    await finishRun(db, data.run_id, outcome);
    // Nobody should decide for a run that is gone (cancelled, or ended past a gate it raced): its
    // pending approvals are closed with it, audited; decide refuses cancelled ones.
    await cancelRunApprovals(db, data.run_id);
    return { runId: data.run_id, status: outcome.status };
  },
);
