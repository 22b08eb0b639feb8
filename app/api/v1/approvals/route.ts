import { listApprovalsRoute, requestApprovalRoute } from "@/server/rest/routes";

/** GET /api/v1/approvals?status=pending (default) | all | any status, &risk=, &workflowId=, &runId=, &limit= */
export const GET = listApprovalsRoute.handle;
/** POST /api/v1/approvals: an agent outside wflo asks for an approval, then polls GET /api/v1/approvals/:id?wait=. */
export const POST = requestApprovalRoute.handle;
