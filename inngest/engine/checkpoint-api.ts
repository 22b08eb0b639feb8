/** The checkpoint endpoint (POST /v1/checkpoint/:runId/async): steps stored under the dispatch's lease. */

import type { IncomingMessage } from "node:http";
import { json } from "./db";
import type { EngineCore } from "./core";
import { checkpointBodySchema, STEP_OUTPUT_LIMIT_BYTES } from "./protocol";
import { finishRun, lockRun } from "./runs";
import { err, ok, parseJson, readBody, type Reply } from "./http-reply";

/**
 * The v4 checkpoint hot path: one statement both proves the dispatch is current (the queue
 * row is still leased with this token) and stores the steps. A stale dispatch gets 409, which
 * makes the SDK stop without retrying.
 */
export async function checkpoint(core: EngineCore, req: IncomingMessage, runId: string): Promise<Reply> {
  const parsed = parseJson(await readBody(req, 64 * 1024 * 1024));
  if (!parsed.ok) return err(400, parsed.message);
  const body = checkpointBodySchema.safeParse(parsed.value);
  if (!body.success) return err(400, "invalid checkpoint body");
  const [qid, token] = body.data.qi_id.split(":");
  if (!qid || !token || !/^\d+$/.test(qid)) return err(409, "unknown dispatch");
  const steps = body.data.steps.filter((s) => s.op === "StepRun");
  const rows: { step_id: string; name: string | null; data: string }[] = [];
  for (const s of steps) {
    const data = json(s.data);
    const size = Buffer.byteLength(data, "utf8");
    if (size > STEP_OUTPUT_LIMIT_BYTES) return failOversized(core, runId, s.displayName ?? s.name ?? s.id, size);
    rows.push({ step_id: s.id, name: s.displayName ?? s.name ?? null, data });
  }
  const stored =
    rows.length === 1
      ? await storeOne(core, runId, qid, token, rows[0]!)
      : await storeMany(core, runId, qid, token, rows);
  return stored ? ok({}) : err(409, "stale dispatch: this run was cancelled, finished or taken over by another worker");
}

/** The common case, one step per checkpoint: a single insert guarded by the lease. */
async function storeOne(
  core: EngineCore,
  runId: string,
  qid: string,
  token: string,
  row: { step_id: string; name: string | null; data: string },
): Promise<boolean> {
  const inserted = await core.sql`insert into engine_steps (run_id, step_id, name, op, data)
    select ${runId}, ${row.step_id}, ${row.name}, 'StepRun', ${row.data}::jsonb
    where exists (select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId})
    on conflict (run_id, step_id) do nothing returning id`;
  if (inserted.length > 0) return true;
  // Nothing inserted: either a duplicate (fine) or the lease is gone (stale dispatch).
  const lease =
    await core.sql`select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId}`;
  return lease.length > 0;
}

async function storeMany(
  core: EngineCore,
  runId: string,
  qid: string,
  token: string,
  rows: { step_id: string; name: string | null; data: string }[],
): Promise<boolean> {
  const payload = `[${rows.map((r) => `{"step_id":${JSON.stringify(r.step_id)},"name":${JSON.stringify(r.name)},"data":${r.data}}`).join(",")}]`;
  const [res] = await core.sql<{ ok: boolean }[]>`
    with lease as (select 1 from engine_queue where id = ${qid} and lease_token = ${token} and run_id = ${runId}),
    ins as (
      insert into engine_steps (run_id, step_id, name, op, data)
      select ${runId}, s.step_id, s.name, 'StepRun', s.data
      from jsonb_to_recordset(${payload}::jsonb) as s(step_id text, name text, data jsonb)
      where exists (select 1 from lease)
      on conflict (run_id, step_id) do nothing returning 1)
    select exists (select 1 from lease) as ok, (select count(*) from ins) as n`;
  return res?.ok === true;
}

async function failOversized(core: EngineCore, runId: string, step: string, size: number): Promise<Reply> {
  await core.sql.begin(async (tx) => {
    const run = await lockRun(tx, runId);
    if (run?.status === "running") {
      await finishRun(tx, core, run, {
        status: "failed",
        error: { name: "StepOutputTooLarge", message: `step "${step}" returned ${size} bytes; the limit is 4 MiB` },
      });
    }
  });
  return err(409, "step output over the 4 MiB limit; the run has failed");
}
