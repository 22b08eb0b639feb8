import type { Route } from "../route";
import { decideApprovalRoute, getApprovalRoute, listApprovalsRoute } from "./approvals";
import { listBudgetsRoute, recordLlmCallRoute, reserveRoute, settleRoute } from "./budgets";
import { runActionRoutes } from "./run-actions";
import { cancelRunRoute, getRunRoute, getRunTraceRoute, listRunsRoute, triggerRun } from "./runs";

export { decideApprovalRoute, getApprovalRoute, listApprovalsRoute, listBudgetsRoute, recordLlmCallRoute, reserveRoute, settleRoute, cancelRunRoute, getRunRoute, getRunTraceRoute, listRunsRoute, triggerRun };

/** Every JSON route under /api/v1: the OpenAPI document and the route-file wiring test read this list. */
export const restRoutes: readonly Route[] = [
  triggerRun,
  listRunsRoute,
  getRunRoute,
  getRunTraceRoute,
  cancelRunRoute,
  ...runActionRoutes,
  listApprovalsRoute,
  getApprovalRoute,
  decideApprovalRoute,
  listBudgetsRoute,
  recordLlmCallRoute,
  reserveRoute,
  settleRoute,
];

/** The route file that serves an OpenAPI path: "/runs/{id}/cancel" -> "app/api/v1/runs/[id]/cancel/route.ts". */
export const routeFileOf = (path: string) => `app/api/v1${path.replace(/\{(\w+)\}/g, "[$1]")}/route.ts`;
