import { z } from "zod";
import { badTextMessage, findBadText } from "@/server/security/text-input";
import { describeZodIssues } from "@/server/zod-issues";
import { json, newId, type TxSql } from "./db";
import type { EngineCore } from "./core";
import { parseDurationMs } from "./duration";
import { matches } from "./expressions";
import { scheduleRun } from "./flow-control";
import { EVENT_LIMIT_BYTES, type EngineEvent } from "./protocol";
import { advance, createRun, finishRun, lockRun, memoize } from "./runs";

/**
 * Event intake: validate, store (de-duplicated by id), then start runs for matching
 * triggers, resume matching waits and cancel runs whose cancelOn matches.
 */

export const incomingEventSchema = z.object({
  name: z.string({ error: "name is required" }).trim().min(1, "name must be a non-empty string"),
  data: z.record(z.string(), z.unknown(), { error: "data must be an object" }).optional(),
  user: z.record(z.string(), z.unknown(), { error: "user must be an object" }).nullish(),
  id: z.string().min(1, "id must be a non-empty string").optional(),
  ts: z.number({ error: "ts must be a number (ms since epoch)" }).int().nonnegative().optional(),
  v: z.string().optional(),
});
export type IncomingEvent = z.infer<typeof incomingEventSchema>;

/** Returns a reason per bad event (index-prefixed), or the parsed events. */
export function validateEvents(body: unknown): { ok: true; events: IncomingEvent[] } | { ok: false; errors: string[] } {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) return { ok: true, events: [] };
  const errors: string[] = [];
  const events: IncomingEvent[] = [];
  list.forEach((raw, i) => {
    const where = Array.isArray(body) ? `event[${i}]` : "event";
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      errors.push(`${where}: must be a JSON object`);
      return;
    }
    const parsed = incomingEventSchema.safeParse(raw);
    if (!parsed.success) {
      // The one formatter's paths; an issue about the event as a whole reads "event.(root): ...".
      for (const { field, message } of describeZodIssues(parsed.error, { prefix: where }).issues)
        errors.push(`${field === where ? `${where}.(root)` : field}: ${message}`);
      return;
    }
    // PostgreSQL's jsonb refuses NUL and a lone surrogate cannot be stored as UTF-8: a 400 naming the field, not a 500.
    const bad = findBadText(parsed.data, where);
    if (bad) {
      errors.push(badTextMessage(bad));
      return;
    }
    const size = Buffer.byteLength(JSON.stringify(raw), "utf8");
    if (size > EVENT_LIMIT_BYTES) {
      errors.push(`${where}: ${size} bytes is over the ${EVENT_LIMIT_BYTES / 1024} KiB per-event limit`);
      return;
    }
    if (parsed.data.name.startsWith("inngest/") && parsed.data.name !== "inngest/function.invoked") {
      errors.push(`${where}.name: "inngest/" event names are reserved for the engine`);
      return;
    }
    events.push(parsed.data);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.includes("*")) return false;
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(name);
}

/** `eventKeyId`: the outside event key that sent the events (senders.ts); absent = the app's own key or the engine. */
export type IngestOptions = { internal?: boolean; idSeed?: string | null; eventKeyId?: string | null };

/** Stores and dispatches events inside `tx`; returns their ids in order. */
export async function ingestEvents(
  tx: TxSql,
  core: EngineCore,
  incoming: IncomingEvent[],
  opts: IngestOptions = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, raw] of incoming.entries()) {
    const internalId = newId();
    const publicId = raw.id ?? seededId(opts.idSeed, i) ?? internalId;
    const event: EngineEvent = {
      id: publicId,
      name: raw.name,
      data: raw.data ?? {},
      ts: raw.ts ?? Date.now(),
      user: raw.user ?? {},
      ...(raw.v ? { v: raw.v } : {}),
    };
    const inserted = await tx<{ internal_id: string }[]>`
      insert into engine_events (internal_id, id, name, data, "user", ts, v, event_key_id)
      values (${internalId}, ${event.id}, ${event.name}, ${json(event.data)}::jsonb, ${json(event.user)}::jsonb, ${event.ts}, ${event.v ?? null}, ${opts.eventKeyId ?? null})
      on conflict (id) do nothing returning internal_id`;
    if (inserted.length === 0) {
      // Seen before (same id): Inngest's de-duplication; the event starts nothing again.
      ids.push(event.id);
      continue;
    }
    ids.push(event.id);
    await dispatch(tx, core, event);
  }
  return ids;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The SDK's x-inngest-event-id-seed ("<ms>,<base64 of 10 random bytes>") is a ULID's time and
 * entropy; event i gets entropy + i. A retried send carries the same seed, so it gets the same
 * ids and is de-duplicated instead of starting runs twice.
 */
export function seededId(seed: string | null | undefined, index: number): string | null {
  if (!seed) return null;
  const [ms, b64] = seed.split(",");
  if (!ms || !b64 || !/^\d+$/.test(ms)) return null;
  const entropy = Buffer.from(b64, "base64");
  if (entropy.length !== 10) return null;
  let value = (BigInt(ms) << 80n) | ((BigInt(`0x${entropy.toString("hex")}`) + BigInt(index)) % (1n << 80n));
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

async function dispatch(tx: TxSql, core: EngineCore, event: EngineEvent): Promise<void> {
  const functions = await core.registry.all(tx);
  if (event.name === "inngest/function.invoked") {
    const fnId = (event.data as { _inngest?: { fn_id?: unknown } })._inngest?.fn_id;
    const fn = typeof fnId === "string" ? functions.find((f) => f.id === fnId) : undefined;
    if (fn) await createRun(tx, core, fn, [event]);
  } else {
    for (const fn of functions) {
      const hit = fn.config.triggers.some(
        (t) => "event" in t && nameMatches(t.event, event.name) && (!t.expression || matches(t.expression, { event })),
      );
      if (hit) await scheduleRun(tx, core, fn, event);
    }
  }
  await resumeWaits(tx, core, event);
  await cancelMatching(tx, core, event, functions);
}

async function resumeWaits(tx: TxSql, core: EngineCore, event: EngineEvent): Promise<void> {
  const waits = await tx<
    { id: string; run_id: string; step_id: string; expression: string | null; event: EngineEvent }[]
  >`
    select w.id::text as id, w.run_id, w.step_id, w.expression, r.event
    from engine_waits w join engine_runs r on r.id = w.run_id
    where w.kind = 'event' and w.event_name = ${event.name} and r.status = 'running'
    order by w.run_id`;
  for (const w of waits) {
    if (w.expression && !matches(w.expression, { event: w.event, async: event })) continue;
    const run = await lockRun(tx, w.run_id);
    if (run?.status !== "running") continue;
    const gone = await tx`delete from engine_waits where id = ${w.id} returning id`;
    if (gone.length === 0) continue;
    await tx`delete from engine_queue where run_id = ${run.id} and step_id = ${w.step_id} and kind = 'wait'`;
    await memoize(tx, run.id, w.step_id, null, "WaitForEvent", { data: event });
    await advance(tx, core, run);
  }
}

async function cancelMatching(
  tx: TxSql,
  core: EngineCore,
  event: EngineEvent,
  functions: Awaited<ReturnType<EngineCore["registry"]["all"]>>,
): Promise<void> {
  for (const fn of functions) {
    const rules = (fn.config.cancel ?? []).filter((c) => nameMatches(c.event, event.name));
    if (rules.length === 0) continue;
    const runs = await tx<{ id: string; event: EngineEvent; created_ms: number }[]>`
      select id, event, (extract(epoch from created_at) * 1000)::float8 as created_ms
      from engine_runs where function_id = ${fn.id} and status = 'running' order by id`;
    const now = Date.now();
    for (const r of runs) {
      // A rule with a timeout only cancels runs younger than it.
      const applies = (c: (typeof rules)[number]) => {
        const window = c.timeout ? parseDurationMs(c.timeout) : null;
        return (
          (window === null || now - r.created_ms <= window) &&
          (!c.if || matches(c.if, { event: r.event, async: event }))
        );
      };
      if (!rules.some(applies)) continue;
      const run = await lockRun(tx, r.id);
      if (run?.status === "running")
        await finishRun(tx, core, run, {
          status: "cancelled",
          reason: `cancelled by event ${event.name} (${event.id})`,
        });
    }
  }
}
