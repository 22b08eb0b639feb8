import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Got = inferRouterOutputs<AppRouter>["approvals"]["get"];
/** An approval as its page shows it (approvals.get). */
export type ApprovalView = Got["approval"];
export type ApprovalDecisionView = Got["decisions"][number];
