import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { users } from "./auth";

/**
 * The notifications domain (server/notifications): budget alerts, guard and breaker stops and
 * approval events, shown in the panel and sent to webhooks. The table keeps its first name,
 * `governance_notifications`, from when only governance wrote to it.
 */

export const NOTIFICATION_KINDS = [
  "budget_threshold",
  "budget_exceeded",
  "guard_tripped",
  "breaker_tripped",
  "approval_requested",
  "approval_escalated",
  "approval_decided",
] as const;
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
