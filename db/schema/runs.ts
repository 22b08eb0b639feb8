import { relations, sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * Written on the SDK side by the wflo Inngest middleware (inngest/middleware/recording.ts), so the
 * same rows appear whether the embedded engine, an Inngest dev server or Inngest Cloud runs
 * the workflow. Keys are Inngest's own ids; every write is an idempotent upsert because the
 * SDK replays a run's earlier steps on every request and retries whole requests.
 */
export const RUN_STATUSES = ["queued", "running", "sleeping", "waiting", "completed", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES = ["completed", "failed", "cancelled"] as const satisfies readonly RunStatus[];

export const runStatus = pgEnum("run_status", RUN_STATUSES);

/**
 * Who a run is attributed to. `user`: wflo's own server paths (panel, REST with an API key, CLI)
 * signed the envelope naming the person (or API key) in `triggered_by_id`/`_email`.
 * `event_key`: no validly signed attribution, so the run is held to the engine event key that
 * sent its event (`triggered_by_event_key`). `schedule`: a cron tick. `unsigned`: a real Inngest
 * server delivered an event wflo cannot trace to a key. A separate column (not a label in
 * `triggered_by_email`) because that column means a person everywhere it is read (filters,
 * approvals' requester, traces): a key name there would pass for one.
 */
export const RUN_TRIGGER_KINDS = ["user", "event_key", "schedule", "unsigned"] as const;
export type RunTriggerKind = (typeof RUN_TRIGGER_KINDS)[number];
export const runTriggerKind = pgEnum("run_trigger_kind", RUN_TRIGGER_KINDS);

/** The error shape stored for runs and steps: what Inngest serialises, trimmed. */
export type RecordedError = { name: string; message: string; stack?: string };

/** Kinds of governance stop a run can carry: a budget refused its call, or a runaway guard / breaker tripped. */
export const RUN_STOP_KINDS = ["budget_exceeded", "guard_tripped", "breaker_tripped"] as const;
export type RunStopKind = (typeof RUN_STOP_KINDS)[number];
/**
 * Why governance stopped a run, as written where it happened (the budget refusal or the guard):
 * what its notification said, kept on the run so the run page needs no other table.
 */
export type RunStopReason = {
  kind: RunStopKind;
  severity: "info" | "warning" | "critical";
  title: string;
  message: string;
  details: Record<string, unknown>;
  at: string;
};

export const runs = pgTable(
  "runs",
  {
    /** Inngest's run id (a ULID). */
    id: text("id").primaryKey(),
    /** The function id without the app prefix, as in inngest/registry.ts (e.g. "research-assistant"). */
    workflowId: text("workflow_id").notNull(),
    status: runStatus("status").notNull().default("running"),
    eventName: text("event_name").notNull(),
    eventId: text("event_id"),
    /** The trigger event's data without wflo's own `_wflo` envelope. */
    input: jsonb("input"),
    output: jsonb("output"),
    error: jsonb("error").$type<RecordedError>(),
    triggeredById: uuid("triggered_by_id"),
    triggeredByEmail: text("triggered_by_email"),
    /** Null on runs recorded before attribution had a kind. */
    triggeredByKind: runTriggerKind("triggered_by_kind"),
    /** The sending event key's id (null = the app's internal key) and its name when the run started, kept if the key is later revoked. */
    triggeredByEventKeyId: uuid("triggered_by_event_key_id"),
    triggeredByEventKey: text("triggered_by_event_key"),
    /** Set when this run was started by "re-run" of another one. */
    rerunOf: text("rerun_of"),
    /** The run's own budget (nano-dollars) from its verified envelope, recorded at its first request; null = none. */
    budgetNano: bigint("budget_nano", { mode: "bigint" }),
    /** Set when a budget or guard stopped the run (the latest such stop). */
    stopReason: jsonb("stop_reason").$type<RunStopReason>(),
    /**
     * One of wflo's own scheduled system workflows (expiry, alert delivery, pruning): recorded so
     * people can see them, but kept out of run lists, counts and stats unless asked for, and
     * pruned after a day (failed ones after a week). Set by the recorder from the function.
     */
    system: boolean("system").notNull().default(false),
    /** Highest attempt seen on any request of this run (Inngest counts attempts per step). */
    attempts: integer("attempts").notNull().default(1),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("runs_started_at_idx").on(t.startedAt, t.id),
    index("runs_workflow_started_idx").on(t.workflowId, t.startedAt),
    index("runs_status_idx").on(t.status),
    index("runs_triggered_by_idx").on(t.triggeredByEmail),
    index("runs_event_id_idx").on(t.eventId),
    // Only system runs: the minutely pruning finds its rows without scanning everyone's runs.
    index("runs_system_ended_idx").on(t.endedAt).where(sql`${t.system}`),
  ],
);

export type Run = typeof runs.$inferSelect;

export const runSteps = pgTable(
  "run_steps",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    /** Inngest's hashed step id: unique per step occurrence in a run, also for repeated ids. */
    hashedId: text("hashed_id").notNull(),
    /** The id the workflow gave the step. */
    stepId: text("step_id").notNull(),
    name: text("name").notNull(),
    /** run, sleep, waitForEvent, invoke, sendEvent, ai.infer, ... (Inngest's step types). */
    kind: text("kind").notNull(),
    status: runStatus("status").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** Kind-specific facts: sleep duration, the awaited event and its match, the invoked function. */
    detail: jsonb("detail"),
    output: jsonb("output"),
    error: jsonb("error").$type<RecordedError>(),
    /** Discovery order, so the detail page lists steps as the code ran them. */
    position: integer("position").notNull().default(0),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.hashedId] }), index("run_steps_run_started_idx").on(t.runId, t.startedAt)],
);

export type RunStep = typeof runSteps.$inferSelect;

export const runsRelations = relations(runs, ({ many }) => ({ steps: many(runSteps) }));
export const runStepsRelations = relations(runSteps, ({ one }) => ({
  run: one(runs, { fields: [runSteps.runId], references: [runs.id] }),
}));
