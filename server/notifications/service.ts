import { and, count, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import {
  governanceNotifications,
  notificationReads,
  type GovernanceNotificationRow,
  type NotificationKind,
  type NotificationSeverity,
} from "@/db/schema";
import { webhookTargets } from "./webhooks";

export type NewNotification = {
  kind: NotificationKind;
  severity: NotificationSeverity;
  title: string;
  message: string;
  runId?: string | null;
  workflowId?: string | null;
  budgetId?: string | null;
  details?: Record<string, unknown>;
  /** The same key never notifies twice (a threshold per budget window, a stop per run, a breaker per trip). */
  dedupeKey: string;
};

/**
 * Records a notification (in the caller's transaction when given one). Returns false when the
 * same event was already recorded. With no webhook configured it is stored as `skipped` for delivery.
 */
export async function insertNotification(db: DbOrTx, n: NewNotification): Promise<boolean> {
  const rows = await db
    .insert(governanceNotifications)
    .values({
      kind: n.kind,
      severity: n.severity,
      title: n.title,
      message: n.message,
      runId: n.runId ?? null,
      workflowId: n.workflowId ?? null,
      budgetId: n.budgetId ?? null,
      details: n.details ?? {},
      dedupeKey: n.dedupeKey,
      deliveryStatus: webhookTargets().length ? "pending" : "skipped",
    })
    .onConflictDoNothing({ target: governanceNotifications.dedupeKey })
    .returning({ id: governanceNotifications.id });
  return rows.length > 0;
}

/** What a notification says, the same for every reader: the panel, the API and the webhook payload. */
export function notificationFacts(r: GovernanceNotificationRow) {
  const { id, kind, severity, title, message, runId, workflowId, budgetId, details, createdAt } = r;
  return { id, kind, severity, title, message, runId, workflowId, budgetId, details, createdAt };
}

/**
 * A notification for the panel and the API: what it says, whether the reader has read it, how
 * its delivery went. Read state is per user (notification_reads): one person's "mark all read"
 * must not hide an alert from everyone else.
 */
export function publicNotification(r: GovernanceNotificationRow, readAt: Date | null) {
  return {
    ...notificationFacts(r),
    read: readAt !== null,
    deliveryStatus: r.deliveryStatus,
    deliveryAttempts: r.deliveryAttempts,
    lastDeliveryError: r.lastDeliveryError,
  };
}
export type PublicNotification = ReturnType<typeof publicNotification>;

export const listNotificationsInput = z.object({
  unreadOnly: z.boolean({ error: "unreadOnly must be true or false" }).default(false),
  limit: z
    .number()
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(200, "limit must be at most 200")
    .default(50),
  /** The id of the last notification of the previous page. */
  before: z.number().int("before must be a notification id").positive("before must be a notification id").optional(),
});

/** The reader's own read marks, joined to each notification. */
const readBy = (userId: string) =>
  and(eq(notificationReads.notificationId, governanceNotifications.id), eq(notificationReads.userId, userId));

/** Newest first, each marked read or not for `userId`. */
export async function listNotifications(
  db: DbOrTx,
  userId: string,
  p: z.output<typeof listNotificationsInput>,
): Promise<PublicNotification[]> {
  const where = and(
    p.unreadOnly ? isNull(notificationReads.userId) : undefined,
    p.before ? lt(governanceNotifications.id, p.before) : undefined,
  );
  const rows = await db
    .select({ n: governanceNotifications, readAt: notificationReads.readAt })
    .from(governanceNotifications)
    .leftJoin(notificationReads, readBy(userId))
    .where(where)
    .orderBy(desc(governanceNotifications.id))
    .limit(p.limit);
  return rows.map((r) => publicNotification(r.n, r.readAt));
}

export async function unreadNotificationCount(
  db: DbOrTx,
  userId: string,
): Promise<{ unread: number; critical: number }> {
  const [row] = await db
    .select({
      unread: count(),
      critical: sql<number>`(count(*) filter (where ${governanceNotifications.severity} = 'critical'))::int`,
    })
    .from(governanceNotifications)
    .leftJoin(notificationReads, readBy(userId))
    .where(isNull(notificationReads.userId));
  return { unread: Number(row?.unread ?? 0), critical: Number(row?.critical ?? 0) };
}

export const markReadInput = z.object({
  /** Omitted: every notification the caller has not read yet. */
  ids: z
    .array(z.number().int("ids must be notification ids").positive("ids must be notification ids"))
    .max(500, "ids may hold at most 500 ids")
    .optional(),
});

/** Marks notifications read for `userId` only; returns how many were newly marked. */
export async function markNotificationsRead(
  db: DbOrTx,
  userId: string,
  { ids }: z.output<typeof markReadInput>,
): Promise<{ marked: number }> {
  if (ids && ids.length === 0) return { marked: 0 };
  const rows = await db
    .insert(notificationReads)
    .select(
      db
        .select({
          notificationId: governanceNotifications.id,
          userId: sql<string>`${userId}::uuid`.as("user_id"),
          readAt: sql<Date>`now()`.as("read_at"),
        })
        .from(governanceNotifications)
        .where(ids ? sql`${governanceNotifications.id} = any(${sql.param(ids)}::bigint[])` : undefined),
    )
    .onConflictDoNothing()
    .returning({ id: notificationReads.notificationId });
  return { marked: rows.length };
}
