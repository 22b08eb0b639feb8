import { log } from "@/server/log";
import { byteLength, newId, type TxSql } from "./db";
import type { EngineCore } from "./core";
import { callSdk, type CallOutcome } from "./call";
import { performGateway } from "./gateway";
import { nextCronTime } from "./cron";
import { parseDurationMs, resolveWakeTime } from "./duration";
import { ingestEvents } from "./intake";
import { maxAttemptsOf, STEP_OUTPUT_LIMIT_BYTES, toSerializedError, type EngineEvent, type Op, type SerializedError } from "./protocol";
import type { FunctionRecord } from "./registry";
import { advance, createRun, enqueue, finishRun, lockRun, memoize, resolveStep, type RunRow, type StepResult } from "./runs";

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

export async function executeItem(core: EngineCore, item: QueueItem): Promise<void> {
  switch (item.kind) {
    case "call":
    case "step":
      return executeCall(core, item);
    case "sleep":
    case "wait":
      return fireTimer(core, item);
    case "timeout":
      return fireTimeout(core, item);
    case "gateway":
      return fireGateway(core, item);
    case "debounce":
    case "batch":
      return fireHeld(core, item);
    case "cron":
      return fireCron(core, item);
    default:
      await core.sql`delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token}`;
      log.warn({ kind: item.kind }, "engine: dropped queue row of unknown kind");
  }
}

/** Deletes the claimed row only if the claim is still ours; false means another worker took over. */
async function release(tx: TxSql, item: QueueItem): Promise<boolean> {
  const rows = await tx`delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token} returning id`;
  return rows.length > 0;
}

/** Locks the run and takes the claim; undefined when there's nothing (left) to do. */
async function takeRun(tx: TxSql, item: QueueItem): Promise<RunRow | undefined> {
  const run = item.run_id ? await lockRun(tx, item.run_id) : undefined;
  if (!(await release(tx, item))) return undefined;
  return run?.status === "running" ? run : undefined;
}

type StepRow = { step_id: string; data: unknown; error: unknown };

async function executeCall(core: EngineCore, item: QueueItem): Promise<void> {
  const { sql } = core;
  const [run] = await sql<RunRow[]>`select id, status, function_id, event, events, disable_immediate, started_at
    from engine_runs where id = ${item.run_id ?? ""}`;
  if (run?.status !== "running") {
    await sql`delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token}`;
    return;
  }
  const fn = await core.registry.get(run.function_id, sql);
  if (!fn) {
    await sql.begin(async (tx) => {
      const r = await takeRun(tx, item);
      if (r) {
        await finishRun(tx, core, r, {
          status: "failed",
          error: { name: "FunctionNotFound", message: `function "${run.function_id}" is not synced with the engine (was it removed from its app?)` },
        });
      }
    });
    return;
  }
  if (!run.started_at) await markStarted(core, run, fn);

  const steps = await sql<StepRow[]>`select step_id, data, error from engine_steps where run_id = ${run.id} order by id`;
  const memo: Record<string, StepResult> = {};
  const stack: string[] = [];
  for (const s of steps) {
    memo[s.step_id] = s.error !== null ? { error: s.error as SerializedError } : { data: s.data };
    stack.push(s.step_id);
  }
  const disableImmediate = item.kind === "step" || run.disable_immediate;
  const url = new URL(fn.url);
  if (item.kind === "step" && item.step_id) url.searchParams.set("stepId", item.step_id);
  const body = {
    version: 2,
    event: run.event,
    events: run.events,
    steps: memo,
    ctx: {
      run_id: run.id,
      attempt: item.attempt,
      max_attempts: maxAttemptsOf(fn.config),
      disable_immediate_execution: disableImmediate,
      use_api: false,
      stack: { stack, current: stack.length },
      // fn_id + qi_id switch the SDK to v4 checkpointing: it keeps running and POSTs each step.
      ...(disableImmediate ? {} : { fn_id: fn.id, qi_id: `${item.id}:${item.lease_token}` }),
    },
  };
  const outcome = await callSdk({ url: url.toString(), body, signingKey: core.signingKey, timeoutMs: core.requestTimeoutMs });
  await sql.begin(async (tx) => {
    const locked = await takeRun(tx, item);
    if (locked) await commitOutcome(tx, core, item, locked, fn, outcome);
  });
}

async function markStarted(core: EngineCore, run: RunRow, fn: FunctionRecord): Promise<void> {
  await core.sql.begin(async (tx) => {
    const first = await tx`update engine_runs set started_at = now() where id = ${run.id} and started_at is null returning id`;
    const finish = fn.config.timeouts?.finish ? parseDurationMs(fn.config.timeouts.finish) : null;
    if (first.length > 0 && finish !== null) {
      await enqueue(tx, core, { runId: run.id, functionId: fn.id, kind: "timeout", dueAt: new Date(Date.now() + finish), payload: { type: "finish" } });
    }
  });
}

function retryDelay(core: EngineCore, attempt: number, retryAfterMs: number | null): Date {
  return new Date(Date.now() + (retryAfterMs ?? core.backoff(attempt)));
}

async function commitOutcome(tx: TxSql, core: EngineCore, item: QueueItem, run: RunRow, fn: FunctionRecord, outcome: CallOutcome): Promise<void> {
  switch (outcome.type) {
    case "complete":
      await complete(tx, core, run, outcome.output);
      return;
    case "fail":
      await finishRun(tx, core, run, { status: "failed", error: outcome.error });
      return;
    case "retry":
      if (item.attempt + 1 < maxAttemptsOf(fn.config)) {
        await enqueue(tx, core, { runId: run.id, functionId: fn.id, kind: item.kind, stepId: item.step_id, attempt: item.attempt + 1, dueAt: retryDelay(core, item.attempt, outcome.retryAfterMs) }, run);
      } else {
        await finishRun(tx, core, run, { status: "failed", error: outcome.error });
      }
      return;
    case "ops":
      await handleOps(tx, core, item, run, fn, outcome.ops, outcome.noRetry, outcome.retryAfterMs);
  }
}

async function complete(tx: TxSql, core: EngineCore, run: RunRow, output: unknown): Promise<void> {
  const size = byteLength(output);
  if (size > STEP_OUTPUT_LIMIT_BYTES) {
    await finishRun(tx, core, run, { status: "failed", error: { name: "OutputTooLarge", message: `the function's return value is ${size} bytes; the limit is 4 MiB` } });
    return;
  }
  await finishRun(tx, core, run, { status: "completed", output: output ?? null });
}

/** Handles a 206's ops in order; returns when the run finished or its next work is queued. */
async function handleOps(tx: TxSql, core: EngineCore, item: QueueItem, run: RunRow, fn: FunctionRecord, ops: Op[], noRetry: boolean, retryAfterMs: number | null): Promise<void> {
  const base = { runId: run.id, functionId: fn.id };
  let raced = false;
  for (const op of ops) {
    const name = op.displayName ?? op.name ?? null;
    const opts = op.opts ?? {};
    switch (op.op) {
      case "StepRun": {
        const size = byteLength(op.data);
        if (size > STEP_OUTPUT_LIMIT_BYTES) {
          await finishRun(tx, core, run, { status: "failed", error: { name: "StepOutputTooLarge", message: `step "${name ?? op.id}" returned ${size} bytes; the limit is 4 MiB` } });
          return;
        }
        await memoize(tx, run.id, op.id, name, "StepRun", { data: op.data ?? null });
        break;
      }
      case "StepError":
      case "StepFailed": {
        const error = toSerializedError(op.error, `step "${name ?? op.id}" failed`);
        const retriable = op.op === "StepError" && !noRetry && item.attempt + 1 < maxAttemptsOf(fn.config);
        if (retriable) {
          await enqueue(tx, core, { ...base, kind: item.kind, stepId: item.step_id, attempt: item.attempt + 1, dueAt: retryDelay(core, item.attempt, retryAfterMs) }, run);
        } else {
          await memoize(tx, run.id, op.id, name, op.op, { error });
        }
        break;
      }
      case "StepPlanned": {
        const known = await tx`select 1 from engine_steps where run_id = ${run.id} and step_id = ${op.id}
          union all select 1 from engine_queue where run_id = ${run.id} and step_id = ${op.id} limit 1`;
        if (known.length > 0) break;
        const race = opts.parallelMode === "race";
        raced ||= race;
        await enqueue(tx, core, { ...base, kind: "step", stepId: op.id, payload: { name, race } }, run);
        break;
      }
      case "Sleep": {
        const spec = typeof opts.duration === "string" ? opts.duration : (op.name ?? "");
        const wake = resolveWakeTime(spec, Date.now());
        if (wake === null) {
          await finishRun(tx, core, run, { status: "failed", error: { name: "InvalidSleep", message: `step "${name ?? op.id}": cannot read sleep duration ${JSON.stringify(spec)}` } });
          return;
        }
        await enqueue(tx, core, { ...base, kind: "sleep", stepId: op.id, dueAt: new Date(wake) });
        break;
      }
      case "WaitForEvent": {
        const eventName = typeof opts.event === "string" ? opts.event : op.name;
        const timeout = parseDurationMs(typeof opts.timeout === "string" || typeof opts.timeout === "number" ? opts.timeout : "") ?? null;
        if (!eventName || timeout === null) {
          await finishRun(tx, core, run, { status: "failed", error: { name: "InvalidWait", message: `step "${name ?? op.id}": waitForEvent needs an event name and a timeout` } });
          return;
        }
        const expr = typeof opts.if === "string" ? opts.if : null;
        await tx`insert into engine_waits (run_id, step_id, kind, event_name, expression) values (${run.id}, ${op.id}, 'event', ${eventName}, ${expr})`;
        await enqueue(tx, core, { ...base, kind: "wait", stepId: op.id, dueAt: new Date(Date.now() + timeout), payload: { type: "event" } });
        break;
      }
      case "InvokeFunction":
        await invoke(tx, core, run, op, name);
        break;
      case "WaitForSignal": {
        const signal = typeof opts.signal === "string" ? opts.signal : op.name;
        const timeout = parseDurationMs(typeof opts.timeout === "string" ? opts.timeout : "") ?? null;
        if (!signal || timeout === null) {
          await finishRun(tx, core, run, { status: "failed", error: { name: "InvalidWait", message: `step "${name ?? op.id}": waitForSignal needs a signal and a timeout` } });
          return;
        }
        await tx`insert into engine_waits (run_id, step_id, kind, signal) values (${run.id}, ${op.id}, 'signal', ${signal})
          on conflict (signal) do nothing`;
        await enqueue(tx, core, { ...base, kind: "wait", stepId: op.id, dueAt: new Date(Date.now() + timeout), payload: { type: "signal" } });
        break;
      }
      case "Gateway":
      case "AIGateway":
        await enqueue(tx, core, { ...base, kind: "gateway", stepId: op.id, payload: { op: op.op, name, opts } });
        break;
      case "RunComplete":
        await complete(tx, core, run, op.data);
        return;
      case "DeferAdd":
      case "DeferAbort":
        break;
      default:
        await finishRun(tx, core, run, { status: "failed", error: { name: "UnsupportedStep", message: `the embedded engine does not support step op "${op.op}" (step "${name ?? op.id}")` } });
        return;
    }
  }
  const wasRace = (item.payload as { race?: boolean } | null)?.race === true;
  if (raced && !run.disable_immediate) {
    // After a race, a discovery call must never run a still-planned step inline.
    await tx`update engine_runs set disable_immediate = true where id = ${run.id}`;
  }
  if (wasRace && item.kind === "step") {
    const pendingCall = await tx`select 1 from engine_queue where run_id = ${run.id} and kind = 'call' limit 1`;
    if (pendingCall.length === 0) await enqueue(tx, core, { ...base, kind: "call" }, run);
    return;
  }
  await advance(tx, core, run);
}

async function invoke(tx: TxSql, core: EngineCore, run: RunRow, op: Op, name: string | null): Promise<void> {
  const opts = op.opts ?? {};
  const fnId = typeof opts.function_id === "string" ? opts.function_id : "";
  const target = fnId ? await core.registry.get(fnId, tx) : undefined;
  if (!target) {
    await memoize(tx, run.id, op.id, name, "InvokeFunction", { error: { name: "Error", message: `step.invoke: function "${fnId}" is not synced with the engine` } });
    return;
  }
  const payload = (opts.payload ?? {}) as { data?: Record<string, unknown>; user?: Record<string, unknown>; v?: string };
  const correlationId = `${run.id}.${op.id}`;
  const timeout = typeof opts.timeout === "string" || typeof opts.timeout === "number" ? parseDurationMs(opts.timeout) : null;
  await tx`insert into engine_waits (run_id, step_id, kind, correlation_id) values (${run.id}, ${op.id}, 'invoke', ${correlationId})
    on conflict (correlation_id) do nothing`;
  await enqueue(tx, core, { runId: run.id, functionId: run.function_id, kind: "wait", stepId: op.id, dueAt: new Date(Date.now() + (timeout ?? 365 * 86_400_000)), payload: { type: "invoke" } });
  await ingestEvents(tx, core, [{ name: "inngest/function.invoked", data: { ...(payload.data ?? {}), _inngest: { fn_id: target.id, correlation_id: correlationId } }, user: payload.user ?? {}, ...(payload.v ? { v: payload.v } : {}) }], { internal: true });
}

async function fireTimer(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run || !item.step_id) return;
    if (item.kind === "sleep") {
      await resolveStep(tx, core, run, item.step_id, "Sleep", { data: null });
      return;
    }
    const [wait] = await tx<{ kind: string }[]>`delete from engine_waits where run_id = ${run.id} and step_id = ${item.step_id} returning kind`;
    if (!wait) return;
    const result: StepResult =
      wait.kind === "invoke" ? { error: { name: "InngestInvokeTimeoutError", message: "Timed out waiting for invoked function to complete" } } : { data: null };
    await resolveStep(tx, core, run, item.step_id, wait.kind === "invoke" ? "InvokeFunction" : "WaitForEvent", result);
  });
}

async function fireGateway(core: EngineCore, item: QueueItem): Promise<void> {
  const payload = (item.payload ?? {}) as { op?: string; name?: string | null; opts?: Record<string, unknown> };
  const outcome = await performGateway(payload.op ?? "Gateway", payload.opts ?? {}, core.requestTimeoutMs);
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run || !item.step_id) return;
    if (outcome.type === "retry") {
      const fn = await core.registry.get(run.function_id, tx);
      if (fn && item.attempt + 1 < maxAttemptsOf(fn.config)) {
        await enqueue(tx, core, { runId: run.id, functionId: run.function_id, kind: "gateway", stepId: item.step_id, attempt: item.attempt + 1, dueAt: retryDelay(core, item.attempt, null), payload });
        return;
      }
      await resolveStep(tx, core, run, item.step_id, payload.op ?? "Gateway", { error: { name: "GatewayError", message: outcome.message } });
      return;
    }
    const size = byteLength(outcome.result);
    if (size > STEP_OUTPUT_LIMIT_BYTES) {
      await finishRun(tx, core, run, { status: "failed", error: { name: "StepOutputTooLarge", message: `step "${payload.name ?? item.step_id}" returned ${size} bytes; the limit is 4 MiB` } });
      return;
    }
    await resolveStep(tx, core, run, item.step_id, payload.op ?? "Gateway", outcome.result);
  });
}

async function fireTimeout(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run) return;
    const type = (item.payload as { type?: string } | null)?.type;
    if (type === "start" && run.started_at) return;
    await finishRun(tx, core, run, { status: "cancelled", reason: type === "start" ? "timeouts.start exceeded: the run did not start in time" : "timeouts.finish exceeded: the run did not finish in time" });
  });
}

async function fireHeld(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const [row] = await tx<{ payload: { event?: EngineEvent; events?: EngineEvent[] } }[]>`
      delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token} returning payload`;
    if (!row) return;
    const fn = await core.registry.get(item.function_id, tx);
    const events = item.kind === "debounce" ? (row.payload.event ? [row.payload.event] : []) : (row.payload.events ?? []);
    if (fn && events.length > 0) await createRun(tx, core, fn, events);
  });
}

async function fireCron(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    if (!(await release(tx, item)) || !item.flow_key) return;
    const cron = item.flow_key;
    const fn = await core.registry.get(item.function_id, tx);
    if (!fn?.config.triggers.some((t) => "cron" in t && t.cron === cron)) return;
    const event: EngineEvent = { id: newId(), name: "inngest/scheduled.timer", data: { cron }, ts: Date.now(), user: {} };
    await tx`insert into engine_events (internal_id, id, name, data, "user", ts) values (${event.id}, ${event.id}, ${event.name}, ${JSON.stringify(event.data)}::jsonb, '{}'::jsonb, ${event.ts})`;
    await createRun(tx, core, fn, [event]);
    const next = nextCronTime(cron, new Date(Math.max(Date.now(), Date.now() + 1)));
    if (next) {
      await tx`insert into engine_queue (function_id, kind, flow_key, due_at) values (${fn.id}, 'cron', ${cron}, ${next.toISOString()}::timestamptz)
        on conflict (function_id, kind, flow_key) where kind in ('debounce', 'batch', 'cron') do nothing`;
    }
  });
}
