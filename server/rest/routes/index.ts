import type { Route } from "../route";
import { decideApprovalRoute, getApprovalRoute, listApprovalsRoute, requestApprovalRoute } from "./approvals";
import { listBudgetsRoute, recordLlmCallRoute, reserveRoute, settleRoute } from "./budgets";
import { runActionRoutes } from "./run-actions";
import { cancelRunRoute, getRunRoute, getRunTraceRoute, listRunsRoute, triggerRun } from "./runs";
import { ingestSpansRoute } from "./spans";

export {
  decideApprovalRoute,
  getApprovalRoute,
  listApprovalsRoute,
  requestApprovalRoute,
  listBudgetsRoute,
  recordLlmCallRoute,
  reserveRoute,
  settleRoute,
  cancelRunRoute,
  getRunRoute,
  getRunTraceRoute,
  listRunsRoute,
  triggerRun,
  ingestSpansRoute,
};

/** Every JSON route under /api/v1: the OpenAPI document and the route-file wiring test read this list. */
export const restRoutes: readonly Route[] = [
  triggerRun,
  listRunsRoute,
  getRunRoute,
  getRunTraceRoute,
  cancelRunRoute,
  ...runActionRoutes,
  listApprovalsRoute,
  requestApprovalRoute,
  getApprovalRoute,
  decideApprovalRoute,
  listBudgetsRoute,
  recordLlmCallRoute,
  reserveRoute,
  settleRoute,
  ingestSpansRoute,
];

/** The route file that serves an OpenAPI path: "/runs/{id}/cancel" -> "app/api/v1/runs/[id]/cancel/route.ts". */
export const routeFileOf = (path: string) => `app/api/v1${path.replace(/\{(\w+)\}/g, "[$1]")}/route.ts`;
