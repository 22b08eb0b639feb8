import { json, type TxSql } from "./db";
import type { EngineCore } from "./core";
import { parseDurationMs } from "./duration";
import { evaluateKey, matches } from "./expressions";
import type { EngineEvent } from "./protocol";
import type { FunctionRecord } from "./registry";
import { createRun, finishRun, lockRun } from "./runs";

/**
 * Inngest's flow control, applied when an event would start a run: rate limit and
 * idempotency drop it, debounce and batching hold it, throttle delays it. Each check takes a
 * transaction-scoped advisory lock on its key so several processes agree.
 */

async function lockKey(tx: TxSql, key: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${key}, 727))`;
}

function keyValue(expr: string | undefined, event: EngineEvent): string {
  return expr ? (evaluateKey(expr, { event }) ?? "") : "";
}

/** Returns false when rate limit or idempotency say this event must not start a run. */
async function admit(tx: TxSql, fn: FunctionRecord, event: EngineEvent): Promise<boolean> {
  const { rateLimit, idempotency } = fn.config;
  if (idempotency) {
    const key = evaluateKey(idempotency, { event });
    if (key !== null) {
      await lockKey(tx, `idem:${fn.id}:${key}`);
      const seen = await tx`select 1 from engine_flow_marks where kind = 'idempotency' and function_id = ${fn.id}
        and key = ${key} and at > now() - interval '24 hours' limit 1`;
      if (seen.length > 0) return false;
      await tx`insert into engine_flow_marks (kind, function_id, key, at) values ('idempotency', ${fn.id}, ${key}, now())`;
    }
  }
  if (rateLimit) {
    const period = parseDurationMs(rateLimit.period) ?? 60_000;
    const key = keyValue(rateLimit.key, event);
    await lockKey(tx, `rate:${fn.id}:${key}`);
    const [row] = await tx<{ n: number }[]>`select count(*)::int as n from engine_flow_marks where kind = 'rate'
      and function_id = ${fn.id} and key = ${key} and at > now() - ${period} * interval '1 millisecond'`;
    if ((row?.n ?? 0) >= rateLimit.limit) return false;
    await tx`insert into engine_flow_marks (kind, function_id, key, at) values ('rate', ${fn.id}, ${key}, now())`;
  }
  return true;
}

/**
 * Throttle: at most `limit` (+`burst`) starts in any window of `period`. The new start is
 * scheduled `period` after the limit-th most recent one, so runs are delayed, never dropped.
 */
export async function throttleDueAt(tx: TxSql, fn: FunctionRecord, event: EngineEvent): Promise<Date | null> {
  const t = fn.config.throttle;
  if (!t) return null;
  const period = parseDurationMs(t.period) ?? 60_000;
  const key = keyValue(t.key, event);
  await lockKey(tx, `throttle:${fn.id}:${key}`);
  const allowed = t.limit + (t.burst ?? 0);
  const [kth] = await tx<
    { ms: number }[]
  >`select (extract(epoch from at) * 1000)::float8 as ms from engine_flow_marks where kind = 'throttle'
    and function_id = ${fn.id} and key = ${key} order by at desc offset ${allowed - 1} limit 1`;
  const now = Date.now();
  const due = kth ? Math.max(now, kth.ms + period) : now;
  await tx`insert into engine_flow_marks (kind, function_id, key, at) values ('throttle', ${fn.id}, ${key}, ${new Date(due).toISOString()}::timestamptz)`;
  return due > now ? new Date(due) : null;
}

/** Routes an event that matched `fn`'s trigger through flow control to a run (or not). */
export async function scheduleRun(tx: TxSql, core: EngineCore, fn: FunctionRecord, event: EngineEvent): Promise<void> {
  if (!(await admit(tx, fn, event))) return;
  const { debounce, batchEvents, singleton } = fn.config;
  if (debounce) return debounceEvent(tx, core, fn, event, debounce);
  if (singleton && !(await makeRoomForSingleton(tx, core, fn, event, singleton))) return;
  if (batchEvents && (!batchEvents.if || matches(batchEvents.if, { event })))
    return batchEvent(tx, core, fn, event, batchEvents);
  await createRun(tx, core, fn, [event]);
}

type SingletonConfig = NonNullable<FunctionRecord["config"]["singleton"]>;

/**
 * Singleton: one running run per key. "skip" drops the new event while one runs; "cancel"
 * cancels the running one in favour of the new. Running runs are few, so their keys are
 * evaluated here rather than stored.
 */
async function makeRoomForSingleton(
  tx: TxSql,
  core: EngineCore,
  fn: FunctionRecord,
  event: EngineEvent,
  cfg: SingletonConfig,
): Promise<boolean> {
  const key = keyValue(cfg.key, event);
  await lockKey(tx, `singleton:${fn.id}:${key}`);
  const running = await tx<
    { id: string; event: EngineEvent }[]
  >`select id, event from engine_runs where function_id = ${fn.id} and status = 'running' order by id`;
  const same = running.filter((r) => keyValue(cfg.key, r.event) === key);
  if (same.length === 0) return true;
  if (cfg.mode === "skip") return false;
  for (const r of same) {
    const run = await lockRun(tx, r.id);
    if (run?.status === "running")
      await finishRun(tx, core, run, {
        status: "cancelled",
        reason: `replaced by a newer run (singleton, event ${event.id})`,
      });
  }
  return true;
}

type DebounceConfig = NonNullable<FunctionRecord["config"]["debounce"]>;
type BatchConfig = NonNullable<FunctionRecord["config"]["batchEvents"]>;

async function debounceEvent(
  tx: TxSql,
  core: EngineCore,
  fn: FunctionRecord,
  event: EngineEvent,
  cfg: DebounceConfig,
): Promise<void> {
  const key = keyValue(cfg.key, event);
  const period = parseDurationMs(cfg.period) ?? 1_000;
  const maxWait = cfg.timeout ? parseDurationMs(cfg.timeout) : null;
  await lockKey(tx, `debounce:${fn.id}:${key}`);
  const [held] = await tx<
    { id: string; payload: { firstAt: number } }[]
  >`select id::text as id, payload from engine_queue
    where function_id = ${fn.id} and kind = 'debounce' and flow_key = ${key} for update`;
  const now = Date.now();
  const firstAt = held?.payload.firstAt ?? now;
  const due = Math.min(now + period, maxWait !== null ? firstAt + maxWait : Number.POSITIVE_INFINITY);
  const payload = json({ event, firstAt });
  if (held)
    await tx`update engine_queue set payload = ${payload}::jsonb, due_at = ${new Date(due).toISOString()}::timestamptz where id = ${held.id}`;
  else
    await tx`insert into engine_queue (function_id, kind, flow_key, due_at, payload) values (${fn.id}, 'debounce', ${key}, ${new Date(due).toISOString()}::timestamptz, ${payload}::jsonb)`;
  void core;
}

async function batchEvent(
  tx: TxSql,
  core: EngineCore,
  fn: FunctionRecord,
  event: EngineEvent,
  cfg: BatchConfig,
): Promise<void> {
  const key = keyValue(cfg.key, event);
  await lockKey(tx, `batch:${fn.id}:${key}`);
  const [held] = await tx<
    { id: string; payload: { events: EngineEvent[] } }[]
  >`select id::text as id, payload from engine_queue
    where function_id = ${fn.id} and kind = 'batch' and flow_key = ${key} for update`;
  const events = [...(held?.payload.events ?? []), event];
  if (events.length >= cfg.maxSize) {
    if (held) await tx`delete from engine_queue where id = ${held.id}`;
    await createRun(tx, core, fn, events);
    return;
  }
  const payload = json({ events });
  if (held) await tx`update engine_queue set payload = ${payload}::jsonb where id = ${held.id}`;
  else {
    const timeout = parseDurationMs(cfg.timeout) ?? 60_000;
    await tx`insert into engine_queue (function_id, kind, flow_key, due_at, payload)
      values (${fn.id}, 'batch', ${key}, ${new Date(Date.now() + timeout).toISOString()}::timestamptz, ${payload}::jsonb)`;
  }
}
