import { getApprovalRoute } from "@/server/rest/routes";

/** GET /api/v1/approvals/:id[?wait=seconds]: the approval, its decisions and its outcome; ?wait long-polls for the decision. */
export const GET = getApprovalRoute.handle;
