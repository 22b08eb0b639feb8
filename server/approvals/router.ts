import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { decideApproval, decideInput } from "./decide";
import { approvalIdInput, getApproval, listApprovals, listApprovalsInput, pendingApprovalCount } from "./queries";

export const approvalsRouter = createTRPCRouter({
  /** The queue (oldest first) or the history (newest first, filtered). */
  list: requirePermission("approvals:read")
    .input(listApprovalsInput)
    // Reads read: an overdue external request reads as expired; the expire-approvals cron run records it.
    .query(({ ctx, input }) => listApprovals(ctx.db, input, ctx.user)),
  get: requirePermission("approvals:read")
    .input(approvalIdInput)
    .query(({ ctx, input }) => getApproval(ctx.db, input.approvalId, ctx.user)),
  /** For the sidebar badge. */
  pendingCount: requirePermission("approvals:read").query(({ ctx }) => pendingApprovalCount(ctx.db)),
  decide: requirePermission("approvals:decide")
    .input(decideInput)
    .mutation(({ ctx, input }) => decideApproval(ctx.db, ctx.user, input)),
});
