import { z } from "zod";
import type { Database } from "@/db/client";
import { RUN_STATUSES } from "@/db/schema";
import { runInScope } from "@/server/apikeys/scope";
import { getCostBreakdown } from "@/server/governance";
import { triggerInput } from "@/server/runs/schemas";
import { getRun, listRuns, runsForEvent } from "@/server/runs/queries";
import { cancelRun, triggerWorkflow } from "@/server/runs/service";
import { getTrace } from "@/server/tracing/trace";
import { RestError } from "../errors";
import { defineRoute } from "../route";
import { idParams, queryBool, queryDate, queryInt } from "../schemas";

/** How long POST /runs waits for the run its event started, so the caller gets a run id back. */
const RUN_ID_WAIT_MS = 5_000;

/** The run an event started, waiting up to 5 s for the engine to start it; null if it has not by then. */
export async function runIdForEvent(db: Database, eventId: string): Promise<string | null> {
  const end = Date.now() + RUN_ID_WAIT_MS;
  for (;;) {
    const [run] = await runsForEvent(db, eventId);
    if (run || Date.now() > end) return run?.id ?? null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const triggerRun = defineRoute({
  method: "POST",
  path: "/runs",
  operationId: "triggerRun",
  tag: "Runs",
  summary: "Trigger a run",
  description:
    "Validates `input` against the workflow's own schema, sends the workflow's event (recording the key as who triggered it) and waits up to 5 s for the run id. `budgetUsd` holds every LLM call of the run to that budget; `requireApproval` gates every LLM step behind an approval (like `wflo run --budget 10 --require-approval`).",
  permission: "runs:trigger",
  body: triggerInput,
  status: 202,
  response: {
    description:
      "The event was accepted; `runId` is null if the engine has not started the run within 5 s (poll GET /runs?eventId=).",
    schema: z.object({ eventId: z.string(), workflowId: z.string(), runId: z.string().nullable() }),
  },
  errors: { 412: "New runs of the workflow are paused (its circuit breaker tripped)" },
  handler: async ({ db, actor, body }) => {
    // The service checks the key's workflow scope (403 outside it).
    const { eventId, workflowId } = await triggerWorkflow(db, actor, body.workflowId, body.input, body.budgetUsd, {
      requireApproval: body.requireApproval,
    });
    return { eventId, workflowId, runId: await runIdForEvent(db, eventId) };
  },
});

export const listRunsQuery = z
  .object({
    workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
    status: z.enum(RUN_STATUSES, { error: `status must be one of: ${RUN_STATUSES.join(", ")}` }).optional(),
    triggeredBy: z
      .string()
      .trim()
      .max(254, "triggeredBy must be at most 254 characters")
      .optional()
      .describe("Part of the triggering user's email (or the API key's name)"),
    eventId: z
      .string()
      .trim()
      .max(200, "eventId must be at most 200 characters")
      .optional()
      .describe("Only the runs this event started (what POST /runs returned)"),
    from: queryDate("from").optional(),
    to: queryDate("to").optional(),
    limit: queryInt("limit", 1, 100).default(25),
    cursor: z.string().max(400, "cursor is malformed").optional().describe("nextCursor of the previous page"),
    system: queryBool("system")
      .default(false)
      .describe("Also wflo's own scheduled system runs (expiry, alert delivery, pruning); hidden by default"),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "from must not be after to", path: ["from"] });

export const listRunsRoute = defineRoute({
  method: "GET",
  path: "/runs",
  operationId: "listRuns",
  tag: "Runs",
  summary: "List runs, newest first",
  permission: "runs:read",
  query: listRunsQuery,
  response: { description: "One page of runs and the cursor of the next page (absent on the last)." },
  handler: async ({ db, actor, query }) => {
    const { eventId, ...filters } = query;
    // A workflow-scoped key lists only its workflows' runs (the service filters by the key's scope).
    if (eventId) {
      const ids = new Set((await runsForEvent(db, eventId)).map((r) => r.id));
      const page = await listRuns(db, actor, { ...filters, limit: 100 });
      return { items: page.items.filter((r) => ids.has(r.id)) };
    }
    return listRuns(db, actor, filters);
  },
});

export const getRunRoute = defineRoute({
  method: "GET",
  path: "/runs/{id}",
  operationId: "getRun",
  tag: "Runs",
  summary: "A run: status, result, steps and cost breakdown",
  description:
    "`result` is the run's output once it completed; `cost` is getCostBreakdown (nano-dollars as decimal strings).",
  permission: "runs:read",
  params: idParams("a run id"),
  response: { description: "The run" },
  errors: { 404: "No run with this id (or, for a workflow-scoped key, none of its workflows)" },
  handler: async ({ db, actor, params }) => {
    const detail = await getRun(db, actor, params.id);
    const cost = await getCostBreakdown(db, params.id);
    return {
      ...detail,
      status: detail.run.status,
      result: detail.run.status === "completed" ? detail.run.output : null,
      error: detail.run.error ?? null,
      cost,
    };
  },
});

export const getRunTraceRoute = defineRoute({
  method: "GET",
  path: "/runs/{id}/trace",
  operationId: "getRunTrace",
  tag: "Runs",
  summary: "A run's spans (the trace explorer's data)",
  description:
    "Every span with its parent, kind, timing, status and, for LLM calls, model, tokens and cost; plus a summary.",
  permission: "runs:read",
  params: idParams("a run id"),
  response: { description: "The trace" },
  errors: { 404: "No run with this id (or, for a workflow-scoped key, none of its workflows)" },
  handler: async ({ db, actor, params }) => {
    await runInScope(db, actor, params.id, "read");
    const trace = await getTrace(db, params.id);
    if (!trace) throw new RestError(404, "NOT_FOUND", `no run with id ${params.id}`, "id");
    return trace;
  },
});

export const cancelRunRoute = defineRoute({
  method: "POST",
  path: "/runs/{id}/cancel",
  operationId: "cancelRun",
  tag: "Runs",
  summary: "Cancel a run",
  permission: "runs:cancel",
  params: idParams("a run id"),
  response: {
    description: "The run is cancelled",
    schema: z.object({ runId: z.string(), status: z.literal("cancelled") }),
  },
  errors: { 404: "No run with this id", 412: "The run has already finished" },
  handler: async ({ db, actor, params }) => {
    return cancelRun(db, actor, params.id);
  },
});
