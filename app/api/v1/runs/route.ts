import { listRunsRoute, triggerRun } from "@/server/rest/routes";

/** POST /api/v1/runs (trigger), GET /api/v1/runs (list): see server/rest/routes/runs.ts. */
export const POST = triggerRun.handle;
export const GET = listRunsRoute.handle;
