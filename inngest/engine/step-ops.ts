import { byteLength, type TxSql } from "./db";
import type { EngineCore } from "./core";
import { parseDurationMs, resolveWakeTime } from "./duration";
import { ingestEvents } from "./intake";
import { maxAttemptsOf, STEP_OUTPUT_LIMIT_BYTES, toSerializedError, type Op } from "./protocol";
import type { FunctionRecord } from "./registry";
import { advance, enqueue, finishRun, memoize, type RunRow } from "./runs";
import type { QueueItem } from "./claim";
import { complete, retryDelay } from "./finish";

/** Handles a 206's ops in order; returns when the run finished or its next work is queued. */
export async function handleOps(
  tx: TxSql,
  core: EngineCore,
  item: QueueItem,
  run: RunRow,
  fn: FunctionRecord,
  ops: Op[],
  noRetry: boolean,
  retryAfterMs: number | null,
): Promise<void> {
  const base = { runId: run.id, functionId: fn.id };
  let raced = false;
  for (const op of ops) {
    const name = op.displayName ?? op.name ?? null;
    const opts = op.opts ?? {};
    switch (op.op) {
      case "StepRun": {
        const size = byteLength(op.data);
        if (size > STEP_OUTPUT_LIMIT_BYTES) {
          await finishRun(tx, core, run, {
            status: "failed",
            error: {
              name: "StepOutputTooLarge",
              message: `step "${name ?? op.id}" returned ${size} bytes; the limit is 4 MiB`,
            },
          });
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
          await enqueue(
            tx,
            core,
            {
              ...base,
              kind: item.kind,
              stepId: item.step_id,
              attempt: item.attempt + 1,
              dueAt: retryDelay(core, item.attempt, retryAfterMs),
            },
            run,
          );
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
          await finishRun(tx, core, run, {
            status: "failed",
            error: {
              name: "InvalidSleep",
              message: `step "${name ?? op.id}": cannot read sleep duration ${JSON.stringify(spec)}`,
            },
          });
          return;
        }
        await enqueue(tx, core, { ...base, kind: "sleep", stepId: op.id, dueAt: new Date(wake) });
        break;
      }
      case "WaitForEvent": {
        const eventName = typeof opts.event === "string" ? opts.event : op.name;
        const timeout =
          parseDurationMs(typeof opts.timeout === "string" || typeof opts.timeout === "number" ? opts.timeout : "") ??
          null;
        if (!eventName || timeout === null) {
          await finishRun(tx, core, run, {
            status: "failed",
            error: {
              name: "InvalidWait",
              message: `step "${name ?? op.id}": waitForEvent needs an event name and a timeout`,
            },
          });
          return;
        }
        const expr = typeof opts.if === "string" ? opts.if : null;
        await tx`insert into engine_waits (run_id, step_id, kind, event_name, expression) values (${run.id}, ${op.id}, 'event', ${eventName}, ${expr})`;
        await enqueue(tx, core, {
          ...base,
          kind: "wait",
          stepId: op.id,
          dueAt: new Date(Date.now() + timeout),
          payload: { type: "event" },
        });
        break;
      }
      case "InvokeFunction":
        await invoke(tx, core, run, op, name);
        break;
      case "WaitForSignal": {
        const signal = typeof opts.signal === "string" ? opts.signal : op.name;
        const timeout = parseDurationMs(typeof opts.timeout === "string" ? opts.timeout : "") ?? null;
        if (!signal || timeout === null) {
          await finishRun(tx, core, run, {
            status: "failed",
            error: {
              name: "InvalidWait",
              message: `step "${name ?? op.id}": waitForSignal needs a signal and a timeout`,
            },
          });
          return;
        }
        await tx`insert into engine_waits (run_id, step_id, kind, signal) values (${run.id}, ${op.id}, 'signal', ${signal})
          on conflict (signal) do nothing`;
        await enqueue(tx, core, {
          ...base,
          kind: "wait",
          stepId: op.id,
          dueAt: new Date(Date.now() + timeout),
          payload: { type: "signal" },
        });
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
        await finishRun(tx, core, run, {
          status: "failed",
          error: {
            name: "UnsupportedStep",
            message: `the embedded engine does not support step op "${op.op}" (step "${name ?? op.id}")`,
          },
        });
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
    await memoize(tx, run.id, op.id, name, "InvokeFunction", {
      error: { name: "Error", message: `step.invoke: function "${fnId}" is not synced with the engine` },
    });
    return;
  }
  const payload = (opts.payload ?? {}) as {
    data?: Record<string, unknown>;
    user?: Record<string, unknown>;
    v?: string;
  };
  const correlationId = `${run.id}.${op.id}`;
  const timeout =
    typeof opts.timeout === "string" || typeof opts.timeout === "number" ? parseDurationMs(opts.timeout) : null;
  await tx`insert into engine_waits (run_id, step_id, kind, correlation_id) values (${run.id}, ${op.id}, 'invoke', ${correlationId})
    on conflict (correlation_id) do nothing`;
  await enqueue(tx, core, {
    runId: run.id,
    functionId: run.function_id,
    kind: "wait",
    stepId: op.id,
    dueAt: new Date(Date.now() + (timeout ?? 365 * 86_400_000)),
    payload: { type: "invoke" },
  });
  await ingestEvents(
    tx,
    core,
    [
      {
        name: "inngest/function.invoked",
        data: { ...(payload.data ?? {}), _inngest: { fn_id: target.id, correlation_id: correlationId } },
        user: payload.user ?? {},
        ...(payload.v ? { v: payload.v } : {}),
      },
    ],
    { internal: true },
  );
}
