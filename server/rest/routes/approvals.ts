import { z } from "zod";
import { APPROVAL_STATUSES, RISK_LEVELS } from "@/db/schema";
import { decideApproval, decideInput } from "@/server/approvals/decide";
import { getApproval, listApprovals } from "@/server/approvals/queries";
import { defineRoute } from "../route";
import { queryInt, uuidParams } from "../schemas";

const listQuery = z.object({
  status: z.enum(["pending", "all", ...APPROVAL_STATUSES], { error: `status must be one of: pending, all, ${APPROVAL_STATUSES.filter((s) => s !== "pending").join(", ")}` }).default("pending"),
  risk: z.enum(RISK_LEVELS, { error: `risk must be one of: ${RISK_LEVELS.join(", ")}` }).optional(),
  workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
  runId: z.string().trim().max(200, "runId must be at most 200 characters").optional().describe("Only this run's approvals"),
  limit: queryInt("limit", 1, 200).default(50),
});

export const listApprovalsRoute = defineRoute({
  method: "GET",
  path: "/approvals",
  operationId: "listApprovals",
  tag: "Approvals",
  summary: "List approvals (pending by default)",
  permission: "approvals:read",
  query: listQuery,
  response: { description: "Approvals, each with a link to its page in the panel" },
  handler: async ({ db, query }) => {
    const rows = await listApprovals(db, {
      view: query.status === "pending" ? "pending" : "history",
      status: query.status === "pending" || query.status === "all" ? undefined : query.status,
      risk: query.risk,
      workflowId: query.workflowId,
      limit: query.limit,
    });
    const approvals = rows.filter((a) => !query.runId || a.runId === query.runId).map(({ viewer: _viewer, ...a }) => ({ ...a, link: `/approvals/${a.id}` }));
    return { approvals };
  },
});

export const getApprovalRoute = defineRoute({
  method: "GET",
  path: "/approvals/{id}",
  operationId: "getApproval",
  tag: "Approvals",
  summary: "One approval and its decisions (poll this to wait for a decision)",
  permission: "approvals:read",
  params: uuidParams("an approval id"),
  response: { description: "The approval" },
  errors: { 404: "No approval with this id" },
  handler: async ({ db, params }) => {
    const { approval, decisions } = await getApproval(db, params.id);
    const { viewer: _viewer, ...rest } = approval;
    return { approval: { ...rest, link: `/approvals/${approval.id}` }, decisions };
  },
});

export const decideApprovalRoute = defineRoute({
  method: "POST",
  path: "/approvals/{id}/decision",
  operationId: "decideApproval",
  tag: "Approvals",
  summary: "Approve or reject",
  description: "The same decide service and rules as the panel: the key's role must reach the gate's decider role; one decision per key.",
  permission: "approvals:decide",
  params: uuidParams("an approval id"),
  body: decideInput.omit({ approvalId: true }),
  response: { description: "The approval after this decision", schema: z.object({ approvalId: z.string(), status: z.string(), approvals: z.number(), approvalsNeeded: z.number(), final: z.boolean() }) },
  errors: { 404: "No approval with this id", 409: "Already decided (or this key already voted)", 412: "Expired or cancelled" },
  handler: async ({ db, actor, params, body }) => decideApproval(db, actor, { ...body, approvalId: params.id }),
});
