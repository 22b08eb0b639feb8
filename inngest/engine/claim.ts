/** A worker's claim on a queue row: the row, releasing it, and taking its run under the claim. */

import type { TxSql } from "./db";
import { lockRun, type RunRow } from "./runs";

/** A claimed queue row. `lease_token` proves the claim; every write is guarded by it. */
export type QueueItem = {
  id: string;
  run_id: string | null;
  function_id: string;
  kind: string;
  step_id: string | null;
  attempt: number;
  lease_token: string;
  flow_key: string | null;
  payload: unknown;
};

/** Deletes the claimed row only if the claim is still ours; false means another worker took over. */
export async function release(tx: TxSql, item: QueueItem): Promise<boolean> {
  const rows =
    await tx`delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token} returning id`;
  return rows.length > 0;
}

/** Locks the run and takes the claim; undefined when there's nothing (left) to do. */
export async function takeRun(tx: TxSql, item: QueueItem): Promise<RunRow | undefined> {
  const run = item.run_id ? await lockRun(tx, item.run_id) : undefined;
  if (!(await release(tx, item))) return undefined;
  return run?.status === "running" ? run : undefined;
}
