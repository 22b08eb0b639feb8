/**
 * Queue rows that fire when due without calling the app's function: a sleep or wait running out,
 * a run timeout, debounced or batched events, a cron tick, and a server-side gateway request.
 */

import { byteLength, newId } from "./db";
import type { EngineCore } from "./core";
import { performGateway } from "./gateway";
import { nextCronTime } from "./cron";
import { maxAttemptsOf, STEP_OUTPUT_LIMIT_BYTES, type EngineEvent } from "./protocol";
import { createRun, enqueue, finishRun, resolveStep, type StepResult } from "./runs";
import { type QueueItem, release, takeRun } from "./claim";
import { retryDelay } from "./finish";

export async function fireTimer(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run || !item.step_id) return;
    if (item.kind === "sleep") {
      await resolveStep(tx, core, run, item.step_id, "Sleep", { data: null });
      return;
    }
    const [wait] = await tx<
      { kind: string }[]
    >`delete from engine_waits where run_id = ${run.id} and step_id = ${item.step_id} returning kind`;
    if (!wait) return;
    const result: StepResult =
      wait.kind === "invoke"
        ? {
            error: { name: "InngestInvokeTimeoutError", message: "Timed out waiting for invoked function to complete" },
          }
        : { data: null };
    await resolveStep(tx, core, run, item.step_id, wait.kind === "invoke" ? "InvokeFunction" : "WaitForEvent", result);
  });
}

export async function fireGateway(core: EngineCore, item: QueueItem): Promise<void> {
  const payload = (item.payload ?? {}) as { op?: string; name?: string | null; opts?: Record<string, unknown> };
  const outcome = await performGateway(payload.op ?? "Gateway", payload.opts ?? {}, core.requestTimeoutMs);
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run || !item.step_id) return;
    if (outcome.type === "retry") {
      const fn = await core.registry.get(run.function_id, tx);
      if (fn && item.attempt + 1 < maxAttemptsOf(fn.config)) {
        await enqueue(tx, core, {
          runId: run.id,
          functionId: run.function_id,
          kind: "gateway",
          stepId: item.step_id,
          attempt: item.attempt + 1,
          dueAt: retryDelay(core, item.attempt, null),
          payload,
        });
        return;
      }
      await resolveStep(tx, core, run, item.step_id, payload.op ?? "Gateway", {
        error: { name: "GatewayError", message: outcome.message },
      });
      return;
    }
    const size = byteLength(outcome.result);
    if (size > STEP_OUTPUT_LIMIT_BYTES) {
      await finishRun(tx, core, run, {
        status: "failed",
        error: {
          name: "StepOutputTooLarge",
          message: `step "${payload.name ?? item.step_id}" returned ${size} bytes; the limit is 4 MiB`,
        },
      });
      return;
    }
    await resolveStep(tx, core, run, item.step_id, payload.op ?? "Gateway", outcome.result);
  });
}

export async function fireTimeout(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const run = await takeRun(tx, item);
    if (!run) return;
    const type = (item.payload as { type?: string } | null)?.type;
    if (type === "start" && run.started_at) return;
    await finishRun(tx, core, run, {
      status: "cancelled",
      reason:
        type === "start"
          ? "timeouts.start exceeded: the run did not start in time"
          : "timeouts.finish exceeded: the run did not finish in time",
    });
  });
}

export async function fireHeld(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    const [row] = await tx<{ payload: { event?: EngineEvent; events?: EngineEvent[] } }[]>`
      delete from engine_queue where id = ${item.id} and lease_token = ${item.lease_token} returning payload`;
    if (!row) return;
    const fn = await core.registry.get(item.function_id, tx);
    const events =
      item.kind === "debounce" ? (row.payload.event ? [row.payload.event] : []) : (row.payload.events ?? []);
    if (fn && events.length > 0) await createRun(tx, core, fn, events);
  });
}

export async function fireCron(core: EngineCore, item: QueueItem): Promise<void> {
  await core.sql.begin(async (tx) => {
    if (!(await release(tx, item)) || !item.flow_key) return;
    const cron = item.flow_key;
    const fn = await core.registry.get(item.function_id, tx);
    if (!fn?.config.triggers.some((t) => "cron" in t && t.cron === cron)) return;
    const event: EngineEvent = {
      id: newId(),
      name: "inngest/scheduled.timer",
      data: { cron },
      ts: Date.now(),
      user: {},
    };
    await tx`insert into engine_events (internal_id, id, name, data, "user", ts) values (${event.id}, ${event.id}, ${event.name}, ${JSON.stringify(event.data)}::jsonb, '{}'::jsonb, ${event.ts})`;
    await createRun(tx, core, fn, [event]);
    const next = nextCronTime(cron, new Date(Math.max(Date.now(), Date.now() + 1)));
    if (next) {
      await tx`insert into engine_queue (function_id, kind, flow_key, due_at) values (${fn.id}, 'cron', ${cron}, ${next.toISOString()}::timestamptz)
        on conflict (function_id, kind, flow_key) where kind in ('debounce', 'batch', 'cron') do nothing`;
    }
  });
}
