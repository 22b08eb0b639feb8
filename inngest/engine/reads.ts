import type { EngineCore } from "./core";
import type { Sql } from "./db";
import type { EngineEvent } from "./protocol";
import { finishRun, lockRun } from "./runs";

/** Read functions for the UI and the REST API, plus cancel. */

// Drizzle installs raw-string parsers for timestamps on the shared client, so normalise here.
type Stamp = Date | string;
const toDate = (v: Stamp): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Stamp | null): Date | null => (v === null ? null : toDate(v));

export type EngineRunView = {
  id: string;
  functionId: string;
  status: string;
  event: EngineEvent;
  events: EngineEvent[];
  output: unknown;
  error: unknown;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  steps: { stepId: string; name: string | null; op: string; data: unknown; error: unknown; at: Date }[];
};

export async function getRun(sql: Sql, runId: string): Promise<EngineRunView | null> {
  const [r] = await sql<
    {
      id: string;
      function_id: string;
      status: string;
      event: EngineEvent;
      events: EngineEvent[];
      output: unknown;
      error: unknown;
      created_at: Stamp;
      started_at: Stamp | null;
      ended_at: Stamp | null;
    }[]
  >`
    select id, function_id, status, event, events, output, error, created_at, started_at, ended_at from engine_runs where id = ${runId}`;
  if (!r) return null;
  const steps = await sql<
    { step_id: string; name: string | null; op: string; data: unknown; error: unknown; created_at: Stamp }[]
  >`
    select step_id, name, op, data, error, created_at from engine_steps where run_id = ${runId} order by id`;
  return {
    id: r.id,
    functionId: r.function_id,
    status: r.status,
    event: r.event,
    events: r.events,
    output: r.output,
    error: r.error,
    createdAt: toDate(r.created_at),
    startedAt: toDateOrNull(r.started_at),
    endedAt: toDateOrNull(r.ended_at),
    steps: steps.map((s) => ({
      stepId: s.step_id,
      name: s.name,
      op: s.op,
      data: s.data,
      error: s.error,
      at: toDate(s.created_at),
    })),
  };
}

export type EngineRunSummary = Omit<EngineRunView, "steps" | "events">;

export async function listRuns(
  sql: Sql,
  opts: { functionId?: string; status?: string; limit?: number } = {},
): Promise<EngineRunSummary[]> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const rows = await sql<
    {
      id: string;
      function_id: string;
      status: string;
      event: EngineEvent;
      output: unknown;
      error: unknown;
      created_at: Stamp;
      started_at: Stamp | null;
      ended_at: Stamp | null;
    }[]
  >`
    select id, function_id, status, event, output, error, created_at, started_at, ended_at from engine_runs
    where (${opts.functionId ?? null}::text is null or function_id = ${opts.functionId ?? null})
      and (${opts.status ?? null}::text is null or status = ${opts.status ?? null})
    order by id desc limit ${limit}`;
  return rows.map((r) => ({
    id: r.id,
    functionId: r.function_id,
    status: r.status,
    event: r.event,
    output: r.output,
    error: r.error,
    createdAt: toDate(r.created_at),
    startedAt: toDateOrNull(r.started_at),
    endedAt: toDateOrNull(r.ended_at),
  }));
}

export async function cancelRun(core: EngineCore, runId: string, reason: string): Promise<boolean> {
  const done = await core.sql.begin(async (tx) => {
    const run = await lockRun(tx, runId);
    if (run?.status !== "running") return false;
    return finishRun(tx, core, run, { status: "cancelled", reason });
  });
  core.wake();
  return done;
}
