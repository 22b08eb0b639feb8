import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { decideApproval, decideInput } from "./decide";
import { expireOverdueExternal } from "./external";
import { approvalIdInput, getApproval, listApprovals, listApprovalsInput, pendingApprovalCount } from "./queries";

export const approvalsRouter = createTRPCRouter({
  /** The queue (oldest first) or the history (newest first, filtered). */
  list: requirePermission("approvals:read")
    .input(listApprovalsInput)
    .query(async ({ ctx, input }) => {
      // External requests have no durable deadline step: their deadline applies when they are read.
      await expireOverdueExternal(ctx.db);
      return listApprovals(ctx.db, input, ctx.user);
    }),
  get: requirePermission("approvals:read")
    .input(approvalIdInput)
    .query(async ({ ctx, input }) => {
      await expireOverdueExternal(ctx.db, { approvalId: input.approvalId });
      return getApproval(ctx.db, input.approvalId, ctx.user);
    }),
  /** For the sidebar badge. */
  pendingCount: requirePermission("approvals:read").query(async ({ ctx }) => {
    await expireOverdueExternal(ctx.db);
    return pendingApprovalCount(ctx.db);
  }),
  decide: requirePermission("approvals:decide")
    .input(decideInput)
    .mutation(({ ctx, input }) => decideApproval(ctx.db, { kind: "user", id: ctx.user.id, email: ctx.user.email, role: ctx.user.role }, input)),
});
