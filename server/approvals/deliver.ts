import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runSteps } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { log } from "@/server/log";
import { APPROVAL_DECIDED_EVENT, type ApprovalDecidedData } from "./types";

/**
 * Sends a final decision to the run's gate. An Inngest wait only sees events sent after it is
 * stored, and a fast decider (an API bot polling the queue) can decide in the moment between
 * the approval's insert and the wait. So: wait (briefly, bounded) until wflo has recorded the
 * gate's wait, send, and if the gate is still waiting a little later, send once more under a new
 * event id (a wait resolves once, so a repeat is harmless). If all of that misses, the gate's
 * deadline step still finds the committed decision.
 */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gateWaiting(db: Database, runId: string, gate: string): Promise<boolean> {
  const rows = await db
    .select({ status: runSteps.status })
    .from(runSteps)
    .where(and(eq(runSteps.runId, runId), inArray(runSteps.stepId, [`approval:${gate}:wait`, `approval:${gate}:wait-escalated`]), eq(runSteps.status, "waiting")));
  return rows.length > 0;
}

async function send(data: ApprovalDecidedData, attempt: number): Promise<void> {
  try {
    await inngest.send({ name: APPROVAL_DECIDED_EVENT, data, id: `approval-decided-${data.approvalId}-${attempt}` });
  } catch (err) {
    log.error({ err, approvalId: data.approvalId, attempt }, "could not send the approval decision event");
  }
}

export async function deliverDecision(db: Database, target: { runId: string; gate: string }, data: ApprovalDecidedData, opts: { settleMs?: number; recheckMs?: number } = {}): Promise<void> {
  const settle = Date.now() + (opts.settleMs ?? 5_000);
  while (!(await gateWaiting(db, target.runId, target.gate)) && Date.now() < settle) await pause(100);
  await send(data, 1);
  // In the background: the response to the decider does not wait for the recheck.
  void (async () => {
    await pause(opts.recheckMs ?? 2_000);
    try {
      if (await gateWaiting(db, target.runId, target.gate)) await send(data, 2);
    } catch (err) {
      log.warn({ err, approvalId: data.approvalId }, "approval decision recheck failed");
    }
  })();
}
