import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * The embedded durable engine (inngest/engine). It plays the Inngest server's part of the
 * protocol, so these tables hold what an Inngest server holds: synced apps and functions,
 * received events, runs, memoized step results, the work queue (with leases), and waits.
 */

/** One synced SDK app (serve handler). */
export const engineApps = pgTable("engine_apps", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  sdk: text("sdk"),
  framework: text("framework"),
  syncedAt: timestamp("synced_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A function as the SDK reported it at sync time; `config` is the SDK's function config verbatim. */
export const engineFunctions = pgTable(
  "engine_functions",
  {
    id: text("id").primaryKey(),
    appId: text("app_id").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    config: jsonb("config").notNull(),
    /** Set when a later sync of the app no longer lists the function; its runs then fail clearly. */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("engine_functions_app_idx").on(t.appId)],
);

/**
 * Keys for outside senders of events (`POST /e/:key`), like a self-hosted Inngest server's event
 * keys. Admins create and revoke them (server/event-keys); only the SHA-256 of the key is kept
 * (keys are 256 random bits, so a plain hash is enough). The app's own client needs no row: its
 * key is derived from the engine signing key (inngest/engine/event-key.ts).
 */
export const eventKeys = pgTable(
  "event_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The first characters of the key, to recognise it in lists. */
    prefix: text("prefix").notNull(),
    /** The last four characters, shown with the prefix. */
    last4: text("last4").notNull(),
    hash: text("hash").notNull().unique(),
    createdById: uuid("created_by_id"),
    createdByEmail: text("created_by_email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("event_keys_created_idx").on(t.createdAt)],
);
export type EventKeyRow = typeof eventKeys.$inferSelect;

/** Every accepted event. `id` is the public id (user-supplied or generated): de-duplication key. */
export const engineEvents = pgTable(
  "engine_events",
  {
    internalId: text("internal_id").primaryKey(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    data: jsonb("data").notNull(),
    user: jsonb("user"),
    ts: bigint("ts", { mode: "number" }).notNull(),
    v: text("v"),
    /** The outside event key that sent it; null = the app's own (internal) key or the engine itself. */
    eventKeyId: uuid("event_key_id").references(() => eventKeys.id),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("engine_events_id_idx").on(t.id), index("engine_events_name_idx").on(t.name, t.receivedAt)],
);

export const ENGINE_RUN_STATUSES = ["running", "completed", "failed", "cancelled"] as const;
export type EngineRunStatus = (typeof ENGINE_RUN_STATUSES)[number];

export const engineRuns = pgTable(
  "engine_runs",
  {
    id: text("id").primaryKey(),
    functionId: text("function_id").notNull(),
    appId: text("app_id").notNull(),
    status: text("status").$type<EngineRunStatus>().notNull().default("running"),
    event: jsonb("event").notNull(),
    events: jsonb("events").notNull(),
    output: jsonb("output"),
    error: jsonb("error"),
    /** Set after the first parallel "race" so later discovery calls never run a planned step inline. */
    disableImmediate: boolean("disable_immediate").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    index("engine_runs_fn_status_idx").on(t.functionId, t.status),
    index("engine_runs_status_idx").on(t.status, t.createdAt),
  ],
);

/** Memoized step results, in completion order (`id`), exactly what the SDK gets back as `steps`. */
export const engineSteps = pgTable(
  "engine_steps",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    name: text("name"),
    op: text("op").notNull(),
    data: jsonb("data"),
    error: jsonb("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("engine_steps_run_step_idx").on(t.runId, t.stepId)],
);

/**
 * The work queue. A row is due at `due_at`; a worker owns it while `lease_until` is in the
 * future (`lease_token` identifies that claim, so a crashed worker's late writes are refused).
 * Kinds: call (discovery request), step (run one planned step), sleep, wait (waitForEvent /
 * invoke timeout), timeout (timeouts.start/finish), debounce, batch, cron.
 */
export const engineQueue = pgTable(
  "engine_queue",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id"),
    functionId: text("function_id").notNull(),
    kind: text("kind").notNull(),
    stepId: text("step_id"),
    attempt: integer("attempt").notNull().default(0),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    priority: integer("priority").notNull().default(0),
    leaseToken: text("lease_token"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    /** Concurrency keys and limits (at most two, as Inngest allows). */
    ck1: text("ck1"),
    cl1: integer("cl1"),
    ck2: text("ck2"),
    cl2: integer("cl2"),
    flowKey: text("flow_key"),
    payload: jsonb("payload"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("engine_queue_due_idx").on(t.dueAt),
    index("engine_queue_run_idx").on(t.runId),
    index("engine_queue_ck1_idx").on(t.ck1).where(sql`${t.ck1} is not null`),
    index("engine_queue_ck2_idx").on(t.ck2).where(sql`${t.ck2} is not null`),
    uniqueIndex("engine_queue_flow_idx")
      .on(t.functionId, t.kind, t.flowKey)
      .where(sql`${t.kind} in ('debounce', 'batch', 'cron')`),
  ],
);

/** A run paused on waitForEvent, invoke (by correlation id) or waitForSignal. */
export const engineWaits = pgTable(
  "engine_waits",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    kind: text("kind").$type<"event" | "invoke" | "signal">().notNull(),
    eventName: text("event_name"),
    expression: text("expression"),
    correlationId: text("correlation_id"),
    signal: text("signal"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("engine_waits_event_idx").on(t.eventName),
    uniqueIndex("engine_waits_correlation_idx").on(t.correlationId),
    uniqueIndex("engine_waits_signal_idx").on(t.signal),
    index("engine_waits_run_idx").on(t.runId),
  ],
);

/** Timestamps that flow control counts in a window: throttle starts, rate-limit hits, idempotency keys. */
export const engineFlowMarks = pgTable(
  "engine_flow_marks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<"throttle" | "rate" | "idempotency">().notNull(),
    functionId: text("function_id").notNull(),
    key: text("key").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [index("engine_flow_marks_idx").on(t.kind, t.functionId, t.key, t.at)],
);
