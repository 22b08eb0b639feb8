import { getApprovalRoute } from "@/server/rest/routes";

export const GET = getApprovalRoute.handle;
