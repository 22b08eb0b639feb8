/** Runs one claimed queue row: an SDK call (a run's next request) or work that fires when due. */

import { log } from "@/server/log";
import type { TxSql } from "./db";
import type { EngineCore } from "./core";
import { callSdk, type CallOutcome } from "./call";
import { parseDurationMs } from "./duration";
import { maxAttemptsOf, type SerializedError } from "./protocol";
import type { FunctionRecord } from "./registry";
import { enqueue, finishRun, type RunRow, type StepResult } from "./runs";
import { type QueueItem, takeRun } from "./claim";
import { fireCron, fireGateway, fireHeld, fireTimeout, fireTimer } from "./due-work";
import { complete, retryDelay } from "./finish";
import { handleOps } from "./step-ops";

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
          error: {
            name: "FunctionNotFound",
            message: `function "${run.function_id}" is not synced with the engine (was it removed from its app?)`,
          },
        });
      }
    });
    return;
  }
  if (!run.started_at) await markStarted(core, run, fn);

  const steps = await sql<
    StepRow[]
  >`select step_id, data, error from engine_steps where run_id = ${run.id} order by id`;
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
  const outcome = await callSdk({
    url: url.toString(),
    body,
    signingKey: core.signingKey,
    timeoutMs: core.requestTimeoutMs,
  });
  await sql.begin(async (tx) => {
    const locked = await takeRun(tx, item);
    if (locked) await commitOutcome(tx, core, item, locked, fn, outcome);
  });
}

async function markStarted(core: EngineCore, run: RunRow, fn: FunctionRecord): Promise<void> {
  await core.sql.begin(async (tx) => {
    const first =
      await tx`update engine_runs set started_at = now() where id = ${run.id} and started_at is null returning id`;
    const finish = fn.config.timeouts?.finish ? parseDurationMs(fn.config.timeouts.finish) : null;
    if (first.length > 0 && finish !== null) {
      await enqueue(tx, core, {
        runId: run.id,
        functionId: fn.id,
        kind: "timeout",
        dueAt: new Date(Date.now() + finish),
        payload: { type: "finish" },
      });
    }
  });
}

async function commitOutcome(
  tx: TxSql,
  core: EngineCore,
  item: QueueItem,
  run: RunRow,
  fn: FunctionRecord,
  outcome: CallOutcome,
): Promise<void> {
  switch (outcome.type) {
    case "complete":
      await complete(tx, core, run, outcome.output);
      return;
    case "fail":
      await finishRun(tx, core, run, { status: "failed", error: outcome.error });
      return;
    case "retry":
      if (item.attempt + 1 < maxAttemptsOf(fn.config)) {
        await enqueue(
          tx,
          core,
          {
            runId: run.id,
            functionId: fn.id,
            kind: item.kind,
            stepId: item.step_id,
            attempt: item.attempt + 1,
            dueAt: retryDelay(core, item.attempt, outcome.retryAfterMs),
          },
          run,
        );
      } else {
        await finishRun(tx, core, run, { status: "failed", error: outcome.error });
      }
      return;
    case "ops":
      await handleOps(tx, core, item, run, fn, outcome.ops, outcome.noRetry, outcome.retryAfterMs);
  }
}
