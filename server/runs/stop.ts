import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { runs, type RunStopReason } from "@/db/schema";

/**
 * Records on the run why governance stopped it (a budget refused its call, a guard or the
 * breaker tripped), in the caller's transaction with the notification and audit row that say
 * the same. The latest stop wins, as the run page shows one reason.
 */
export async function recordRunStop(tx: DbOrTx, runId: string, reason: Omit<RunStopReason, "at">): Promise<void> {
  await tx
    .update(runs)
    .set({ stopReason: { ...reason, at: new Date().toISOString() } })
    .where(eq(runs.id, runId));
}

/** Why governance stopped the run, for the run page; null when it did not. */
export async function runStopReason(db: DbOrTx, runId: string): Promise<RunStopReason | null> {
  const [row] = await db.select({ stop: runs.stopReason }).from(runs).where(eq(runs.id, runId));
  return row?.stop ?? null;
}
