import { sql } from "drizzle-orm";
import { bigint, bigserial, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./auth";

/**
 * Runaway guards and alerts (server/governance/guards, server/governance/alerts): what stops
 * a workflow that loops, and what tells people about money events.
 */

/** Per-workflow runaway guards, set by admins. A null limit is off. */
export const workflowGuards = pgTable("workflow_guards", {
  workflowId: text("workflow_id").primaryKey(),
  maxLlmCallsPerRun: integer("max_llm_calls_per_run"),
  maxStepsPerRun: integer("max_steps_per_run"),
  /** The same request (model + system + prompt) more often than this in one run trips the breaker. */
  maxIdenticalCalls: integer("max_identical_calls"),
  /** Burn-rate breaker: spend of the workflow over the last `burnWindowMinutes` above `burnLimitNano` trips it. */
  burnWindowMinutes: integer("burn_window_minutes"),
  burnLimitNano: bigint("burn_limit_nano", { mode: "bigint" }),
  /** Set while the breaker is open: new runs and LLM calls of the workflow are refused until an operator resets it. */
  trippedAt: timestamp("tripped_at", { withTimezone: true }),
  trippedReason: text("tripped_reason"),
  trippedRunId: text("tripped_run_id"),
  version: integer("version").notNull().default(1),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedByEmail: text("updated_by_email"),
});
export type WorkflowGuardRow = typeof workflowGuards.$inferSelect;

/** One row per governed LLM step of a run (a retried step is the same row): counts calls and identical requests. */
export const runLlmSteps = pgTable(
  "run_llm_steps",
  {
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.stepId] }), index("run_llm_steps_fingerprint_idx").on(t.runId, t.fingerprint)],
);

export const NOTIFICATION_KINDS = ["budget_threshold", "budget_exceeded", "guard_tripped", "breaker_tripped", "approval_requested", "approval_escalated", "approval_decided"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type NotificationSeverity = "info" | "warning" | "critical";
export type DeliveryStatus = "pending" | "delivered" | "failed" | "skipped";

/**
 * Money and runaway events shown in the panel and sent to webhooks. `dedupeKey` makes each
 * event fire once (a threshold per budget window, a stop per run, a breaker per trip).
 */
export const governanceNotifications = pgTable(
  "governance_notifications",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").$type<NotificationKind>().notNull(),
    severity: text("severity").$type<NotificationSeverity>().notNull(),
    title: text("title").notNull(),
    message: text("message").notNull(),
    runId: text("run_id"),
    workflowId: text("workflow_id"),
    budgetId: uuid("budget_id"),
    /** JSON-safe facts (money as decimal strings of nano-dollars). */
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    dedupeKey: text("dedupe_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveryStatus: text("delivery_status").$type<DeliveryStatus>().notNull().default("pending"),
    deliveryAttempts: integer("delivery_attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastDeliveryError: text("last_delivery_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("governance_notifications_dedupe_uq").on(t.dedupeKey),
    index("governance_notifications_created_idx").on(t.createdAt),
    index("governance_notifications_run_idx").on(t.runId),
    index("governance_notifications_pending_idx").on(t.nextAttemptAt).where(sql`${t.deliveryStatus} = 'pending'`),
  ],
);
export type GovernanceNotificationRow = typeof governanceNotifications.$inferSelect;

/**
 * Who has read which notification. Read state is per user (one person's "mark all read" must
 * not hide an alert from everyone else), so it lives here rather than on the notification.
 */
export const notificationReads = pgTable(
  "notification_reads",
  {
    notificationId: bigint("notification_id", { mode: "number" })
      .notNull()
      .references(() => governanceNotifications.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    readAt: timestamp("read_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.userId] }), index("notification_reads_user_idx").on(t.userId)],
);
