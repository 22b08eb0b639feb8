import { listApprovalsRoute } from "@/server/rest/routes";

/** GET /api/v1/approvals?status=pending (default) | all | any status, &risk=, &workflowId=, &runId=, &limit= */
export const GET = listApprovalsRoute.handle;
