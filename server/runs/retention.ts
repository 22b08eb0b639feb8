import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";

/**
 * How long wflo's own scheduled system runs (runs.system) are kept. They tick every minute
 * (about 4,300 rows a day for three crons), so a clean one is worth a day of history; one that
 * failed, was cancelled or never ended is kept a week for whoever looks into it. People's runs
 * are never pruned here.
 */
export const SYSTEM_RUN_RETENTION = { completed: "24 hours", other: "7 days" } as const;

/** Rows removed per call, so one pass never holds many locks; the caller repeats while it is full. */
export const PRUNE_BATCH = 1000;

/**
 * Deletes one batch of system runs past their retention; their run_steps go with them (the
 * foreign key cascades). Returns how many runs were deleted.
 */
export async function pruneSystemRuns(db: DbOrTx, now: Date = new Date(), limit = PRUNE_BATCH): Promise<number> {
  const at = now.toISOString();
  const deleted = await db.execute<{ id: string }>(sql`
    delete from runs where id in (
      select id from runs
      where system
        and case when status = 'completed'
          then ended_at < ${at}::timestamptz - ${SYSTEM_RUN_RETENTION.completed}::interval
          else coalesce(ended_at, updated_at) < ${at}::timestamptz - ${SYSTEM_RUN_RETENTION.other}::interval
        end
      limit ${limit}
    )
    returning id`);
  return deleted.length;
}
