import { json, newId, type TxSql } from "./db";
import { evaluateKey, evaluateNumber } from "./expressions";
import type { EngineCore } from "./core";
import { parseDurationMs } from "./duration";
import { ingestEvents } from "./intake";
import type { EngineEvent, FunctionConfig, SerializedError } from "./protocol";
import type { FunctionRecord } from "./registry";
import { throttleDueAt } from "./flow-control";

/**
 * Run state transitions. Every function here runs inside the caller's transaction, so a
 * step result, the work it unlocks and any events it emits commit together or not at all.
 */

export type RunRow = {
  id: string;
  status: string;
  function_id: string;
  event: EngineEvent;
  events: EngineEvent[];
  disable_immediate: boolean;
  started_at: Date | string | null;
};

/** Locks the run row: every writer of a run's progress serialises on it. */
export async function lockRun(tx: TxSql, runId: string): Promise<RunRow | undefined> {
  const [run] = await tx<RunRow[]>`
    select id, status, function_id, event, events, disable_immediate, started_at
    from engine_runs where id = ${runId} for update`;
  return run;
}

export type StepResult = { data: unknown } | { error: SerializedError };

export async function memoize(
  tx: TxSql,
  runId: string,
  stepId: string,
  name: string | null,
  op: string,
  result: StepResult,
): Promise<void> {
  const data = "data" in result ? json(result.data) : null;
  const error = "error" in result ? json(result.error) : null;
  await tx`insert into engine_steps (run_id, step_id, name, op, data, error)
    values (${runId}, ${stepId}, ${name}, ${op}, ${data}::jsonb, ${error}::jsonb)
    on conflict (run_id, step_id) do nothing`;
}

type ConcurrencyKey = { key: string; limit: number };

export function concurrencyKeys(fn: FunctionRecord, event: EngineEvent): ConcurrencyKey[] {
  const raw = fn.config.concurrency;
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const keys: ConcurrencyKey[] = [];
  for (const c of list.slice(0, 2)) {
    const opt = typeof c === "number" ? { limit: c } : c;
    if (!opt.limit || opt.limit <= 0) continue;
    const scope = "scope" in opt && opt.scope ? opt.scope : "fn";
    const value = "key" in opt && opt.key ? (evaluateKey(opt.key, { event }) ?? "") : "";
    // Keys scoped to the env/account are shared by every function that names them.
    const owner = scope === "fn" ? `fn:${fn.id}` : scope;
    keys.push({ key: `${owner}:${"key" in opt && opt.key ? opt.key : ""}:${value}`, limit: opt.limit });
  }
  return keys;
}

export function priorityOf(config: FunctionConfig, event: EngineEvent): number {
  const expr = config.priority?.run;
  if (!expr) return 0;
  const v = evaluateNumber(expr, { event });
  return v === null ? 0 : Math.max(-600, Math.min(600, Math.trunc(v)));
}

export type WorkItem = {
  runId: string;
  functionId: string;
  kind: string;
  stepId?: string | null;
  attempt?: number;
  dueAt?: Date | null;
  payload?: unknown;
};

/** Inserts a queue row; call/step rows carry the run's concurrency keys and priority. */
export async function enqueue(
  tx: TxSql,
  core: EngineCore,
  item: WorkItem,
  run?: { event: EngineEvent },
): Promise<void> {
  let ck: ConcurrencyKey[] = [];
  let priority = 0;
  if ((item.kind === "call" || item.kind === "step") && run) {
    const fn = await core.registry.get(item.functionId, tx);
    if (fn) {
      ck = concurrencyKeys(fn, run.event);
      priority = priorityOf(fn.config, run.event);
    }
  }
  await tx`insert into engine_queue (run_id, function_id, kind, step_id, attempt, due_at, priority, ck1, cl1, ck2, cl2, payload)
    values (${item.runId}, ${item.functionId}, ${item.kind}, ${item.stepId ?? null}, ${item.attempt ?? 0},
      coalesce(${item.dueAt?.toISOString() ?? null}::timestamptz, now()), ${priority},
      ${ck[0]?.key ?? null}, ${ck[0]?.limit ?? null}, ${ck[1]?.key ?? null}, ${ck[1]?.limit ?? null},
      ${item.payload === undefined ? null : json(item.payload)}::jsonb)`;
  if (!item.dueAt || item.dueAt.getTime() <= Date.now()) await notify(tx);
}

export async function notify(tx: TxSql): Promise<void> {
  await tx`select pg_notify('engine_queue', '')`;
}

/**
 * After a step resolves: when nothing else is in flight for the run, ask the SDK what's next.
 * These kinds mean "the run is still making progress"; timeouts, debounce, batch and cron don't.
 */
export async function advance(tx: TxSql, core: EngineCore, run: RunRow): Promise<void> {
  const [row] = await tx<{ n: number }[]>`
    select count(*)::int as n from engine_queue
    where run_id = ${run.id} and kind in ('call', 'step', 'sleep', 'wait', 'gateway')`;
  if ((row?.n ?? 0) === 0) await enqueue(tx, core, { runId: run.id, functionId: run.function_id, kind: "call" }, run);
}

export type CreateRunOptions = { skipThrottle?: boolean };

/** Starts a run of `fn` for `events` (one event, or a batch). */
export async function createRun(
  tx: TxSql,
  core: EngineCore,
  fn: FunctionRecord,
  events: EngineEvent[],
  opts: CreateRunOptions = {},
): Promise<string> {
  const id = newId();
  const event = events[0];
  if (!event) throw new Error("createRun needs at least one event");
  await tx`insert into engine_runs (id, function_id, app_id, status, event, events)
    values (${id}, ${fn.id}, ${fn.appId}, 'running', ${json(event)}::jsonb, ${json(events)}::jsonb)`;
  const due = opts.skipThrottle ? null : await throttleDueAt(tx, fn, event);
  await enqueue(tx, core, { runId: id, functionId: fn.id, kind: "call", dueAt: due }, { event });
  const start = fn.config.timeouts?.start ? parseDurationMs(fn.config.timeouts.start) : null;
  if (start !== null) {
    await enqueue(tx, core, {
      runId: id,
      functionId: fn.id,
      kind: "timeout",
      dueAt: new Date((due?.getTime() ?? Date.now()) + start),
      payload: { type: "start" },
    });
  }
  return id;
}

export type RunOutcome =
  | { status: "completed"; output: unknown }
  | { status: "failed"; error: SerializedError }
  | { status: "cancelled"; reason: string };

const LIFECYCLE = new Set(["inngest/function.finished", "inngest/function.failed", "inngest/function.cancelled"]);

/**
 * Ends a run once: records the outcome, drops its queue rows and waits, resolves an invoking
 * parent, and emits the lifecycle events Inngest emits (so onFailure handlers and SDK-side
 * observers work the same here as on any Inngest server).
 */
export async function finishRun(tx: TxSql, core: EngineCore, run: RunRow, outcome: RunOutcome): Promise<boolean> {
  const output = outcome.status === "completed" ? json(outcome.output) : null;
  const error =
    outcome.status === "failed"
      ? outcome.error
      : outcome.status === "cancelled"
        ? { name: "Cancelled", message: outcome.reason }
        : null;
  const updated = await tx`update engine_runs set status = ${outcome.status}, output = ${output}::jsonb,
      error = ${error === null ? null : json(error)}::jsonb, ended_at = now()
    where id = ${run.id} and status = 'running' returning id`;
  if (updated.length === 0) return false;
  await tx`delete from engine_queue where run_id = ${run.id}`;
  await tx`delete from engine_waits where run_id = ${run.id}`;

  const correlationId = invokeCorrelation(run.event);
  if (correlationId) await resolveInvoke(tx, core, correlationId, outcome);
  if (LIFECYCLE.has(run.event.name)) return true;

  const base = {
    function_id: run.function_id,
    run_id: run.id,
    event: run.event,
    events: run.events,
    ...(correlationId ? { correlation_id: correlationId } : {}),
  };
  const emitted: Omit<EngineEvent, "id" | "ts" | "user">[] = [];
  if (outcome.status === "completed")
    emitted.push({ name: "inngest/function.finished", data: { ...base, result: outcome.output ?? null } });
  else {
    emitted.push({ name: "inngest/function.finished", data: { ...base, error } });
    emitted.push({
      name: outcome.status === "failed" ? "inngest/function.failed" : "inngest/function.cancelled",
      data: { ...base, error },
    });
  }
  await ingestEvents(tx, core, emitted, { internal: true });
  return true;
}

function invokeCorrelation(event: EngineEvent): string | null {
  if (event.name !== "inngest/function.invoked") return null;
  const meta = (event.data as { _inngest?: { correlation_id?: unknown } })._inngest;
  return typeof meta?.correlation_id === "string" ? meta.correlation_id : null;
}

async function resolveInvoke(tx: TxSql, core: EngineCore, correlationId: string, outcome: RunOutcome): Promise<void> {
  const [wait] = await tx<{ run_id: string; step_id: string }[]>`
    delete from engine_waits where correlation_id = ${correlationId} returning run_id, step_id`;
  if (!wait) return;
  const parent = await lockRun(tx, wait.run_id);
  if (parent?.status !== "running") return;
  await tx`delete from engine_queue where run_id = ${parent.id} and step_id = ${wait.step_id} and kind = 'wait'`;
  const result: StepResult =
    outcome.status === "completed"
      ? { data: outcome.output ?? null }
      : outcome.status === "failed"
        ? { error: outcome.error }
        : { error: { name: "Error", message: `invoked function was cancelled: ${outcome.reason}` } };
  await memoize(tx, parent.id, wait.step_id, null, "InvokeFunction", result);
  await advance(tx, core, parent);
}

/** Resolves a paused step (wait matched, sleep over, timeout) and moves the run on. */
export async function resolveStep(
  tx: TxSql,
  core: EngineCore,
  run: RunRow,
  stepId: string,
  op: string,
  result: StepResult,
): Promise<void> {
  await memoize(tx, run.id, stepId, null, op, result);
  await advance(tx, core, run);
}
