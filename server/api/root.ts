import { approvalsRouter } from "@/server/approvals/router";
import { auditRouter } from "@/server/audit/router";
import { apiKeysRouter } from "@/server/apikeys/router";
import { eventKeysRouter } from "@/server/event-keys/router";
import { policiesRouter } from "@/server/policies/router";
import { dashboardRouter } from "@/server/dashboard/router";
import { governanceRouter } from "@/server/governance/router";
import { sessionRouter } from "@/server/auth/router";
import { systemRouter } from "@/server/system/router";
import { usersRouter } from "@/server/users/router";
import { accountRouter } from "@/server/users/account-router";
import { runsRouter } from "@/server/runs/router";
import { workflowsRouter } from "@/server/workflows/router";
import { sandboxRouter } from "@/server/sandbox/router";
import { recoveryRouter } from "@/server/recovery/router";
import { tracingRouter } from "@/server/tracing/router";
import { createCallerFactory, createTRPCRouter } from "./trpc";

/** The only place routers are assembled. */
export const appRouter = createTRPCRouter({
  session: sessionRouter,
  users: usersRouter,
  account: accountRouter,
  audit: auditRouter,
  dashboard: dashboardRouter,
  system: systemRouter,
  runs: runsRouter,
  workflows: workflowsRouter,
  governance: governanceRouter,
  approvals: approvalsRouter,
  policies: policiesRouter,
  apiKeys: apiKeysRouter,
  eventKeys: eventKeysRouter,
  recovery: recoveryRouter,
  sandbox: sandboxRouter,
  tracing: tracingRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
