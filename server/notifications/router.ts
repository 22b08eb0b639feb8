import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { deliverPendingNotifications } from "./dispatcher";
import {
  listNotifications,
  listNotificationsInput,
  markNotificationsRead,
  markReadInput,
  unreadNotificationCount,
} from "./service";

/**
 * The panel's notifications (budget alerts, guard and breaker stops, approvals). Procedures
 * declare the service's own schemas (no input at all: the defaults). Mounted at
 * `governance.notifications`, where the panel has always called it.
 */
export const notificationsRouter = createTRPCRouter({
  list: requirePermission("dashboard:read")
    .input(listNotificationsInput.prefault({}))
    // Reads read: deliveries left over by a restart are retried by the dispatch-alerts cron run.
    .query(({ ctx, input }) => listNotifications(ctx.db, ctx.user.id, input)),
  unreadCount: requirePermission("dashboard:read").query(({ ctx }) => unreadNotificationCount(ctx.db, ctx.user.id)),
  /** Marks read for the caller only (read state is per user), so any reader may: it changes nobody else's inbox. */
  markRead: requirePermission("dashboard:read")
    .input(markReadInput.prefault({}))
    .mutation(({ ctx, input }) => markNotificationsRead(ctx.db, ctx.user.id, input)),
  /** Sends what is due now (admins, from the notifications page). */
  deliverNow: requirePermission("settings:manage").mutation(({ ctx }) => deliverPendingNotifications(ctx.db)),
});
