import { decideApprovalRoute } from "@/server/rest/routes";

/** POST /api/v1/approvals/:id/decision { decision, comment?, payload? }: the same decide service and rules as the panel. */
export const POST = decideApprovalRoute.handle;
