import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runSteps } from "@/db/schema";
import { events } from "@/server/events/client";
import { log } from "@/server/log";
import { approvalSignal } from "./types";

/**
 * Wakes the run's gate after a final decision committed. The wake-up is a signal keyed by the
 * approval id and carries nothing but the id: the gate reads the decision from the row (./gate.ts).
 * A signal only reaches a wait that is already stored, and a fast decider (an API bot polling the
 * queue) can decide in the moment between the approval's insert and the wait. So: wait (briefly,
 * bounded) until wflo has recorded the gate's wait, signal, and if the gate is still waiting a
 * little later, signal once more (a wake-up with nothing new is read and ignored by the gate). If
 * all of that misses, the gate's deadline step still finds the committed decision.
 */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a step of the run is waiting for this approval's signal, from what the middleware recorded. */
async function gateWaiting(db: Database, runId: string, signal: string): Promise<boolean> {
  const rows = await db
    .select({ status: runSteps.status })
    .from(runSteps)
    .where(
      and(
        eq(runSteps.runId, runId),
        eq(runSteps.kind, "waitForSignal"),
        eq(runSteps.status, "waiting"),
        sql`${runSteps.detail}->>'signal' = ${signal}`,
      ),
    );
  return rows.length > 0;
}

async function send(signal: string, approvalId: string, attempt: number): Promise<void> {
  try {
    await events.sendSignal({ signal, data: { approvalId } });
  } catch (err) {
    // The engine answers 404 when no run waits for the signal (yet, or any more); the recheck or the deadline covers it.
    log.warn({ err, approvalId, attempt }, "could not signal the approval's gate");
  }
}

export async function deliverDecision(
  db: Database,
  target: { runId: string; approvalId: string },
  opts: { settleMs?: number; recheckMs?: number } = {},
): Promise<void> {
  const signal = approvalSignal(target.approvalId);
  const settle = Date.now() + (opts.settleMs ?? 5_000);
  while (!(await gateWaiting(db, target.runId, signal)) && Date.now() < settle) await pause(100);
  await send(signal, target.approvalId, 1);
  // In the background: the response to the decider does not wait for the recheck.
  void (async () => {
    await pause(opts.recheckMs ?? 2_000);
    try {
      if (await gateWaiting(db, target.runId, signal)) await send(signal, target.approvalId, 2);
    } catch (err) {
      log.warn({ err, approvalId: target.approvalId }, "approval decision recheck failed");
    }
  })();
}
