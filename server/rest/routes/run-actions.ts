import { z } from "zod";
import { runInScope } from "@/server/apikeys/scope";
import { replayRun } from "@/server/recovery/replay";
import { triggerInput } from "@/server/runs/schemas";
import { rerunRun } from "@/server/runs/service";
import { defineRoute } from "../route";
import { idParams } from "../schemas";
import { runIdForEvent } from "./runs";

/**
 * What an operator does to a finished run from outside the panel: run it again, or replay
 * today's code against its records. Steps and costs are not separate routes: GET /runs/{id}
 * already returns `steps` and `cost`, and GET /runs/{id}/trace the spans.
 */

/** The same budget rule as a trigger (USD, more than 0), so `wflo runs rerun --budget` reads like `wflo run --budget`. */
export const rerunBody = triggerInput.pick({ budgetUsd: true });

export const rerunResponse = z.object({
  eventId: z.string(),
  workflowId: z.string(),
  rerunOf: z.string().describe("The run that was repeated"),
  runId: z
    .string()
    .nullable()
    .describe("The new run; null if the engine has not started it within 5 s (poll GET /runs?eventId=)"),
});

export const rerunRunRoute = defineRoute({
  method: "POST",
  path: "/runs/{id}/rerun",
  operationId: "rerunRun",
  tag: "Runs",
  summary: "Run a run again with the same input",
  description:
    "Starts a new run of the same workflow with the run's input (parsed again by today's schema). It is held to the original run's own budget unless `budgetUsd` sets another. Waits up to 5 s for the new run's id.",
  permission: "runs:rerun",
  params: idParams("a run id"),
  body: rerunBody,
  status: 202,
  response: { description: "The new run's event was accepted", schema: rerunResponse },
  errors: { 404: "No run with this id", 412: "The run's workflow is no longer served, or new runs of it are paused" },
  handler: async ({ db, actor, params, body }) => {
    const r = await rerunRun(db, actor, params.id, { budgetNano: body.budgetUsd });
    return { ...r, runId: await runIdForEvent(db, r.eventId) };
  },
});

export const replayReportSchema = z.object({
  runId: z.string(),
  workflowId: z.string(),
  fingerprint: z
    .object({ recorded: z.string().nullable(), current: z.string(), changed: z.boolean() })
    .describe("The workflow definition's fingerprint when the run ran, and today's"),
  stepsReplayed: z.number().int().describe("How many steps today's code asked for before it finished or diverged"),
  divergence: z
    .object({
      at: z.number().int().describe("0-based step position"),
      expected: z.string().nullable(),
      got: z.string().nullable(),
      reason: z.string(),
    })
    .nullable()
    .describe("The first step where today's code differs from the recording; null when it follows it to the end"),
  outputMatches: z
    .boolean()
    .nullable()
    .describe(
      "Whether today's code returns the recorded result (null unless the run completed and the replay finished)",
    ),
});

export const replayRunRoute = defineRoute({
  method: "POST",
  path: "/runs/{id}/replay",
  operationId: "replayRun",
  tag: "Runs",
  summary: "Replay a run against its recorded results (divergence report)",
  description:
    "Executes today's workflow code on the server against the run's recorded step results: every step (LLM calls included) is answered from the records, so nothing runs for real and nothing is billed. Reports the first step where the code asks for something the run did not record.",
  permission: "runs:rerun",
  params: idParams("a run id"),
  response: { description: "The divergence report", schema: replayReportSchema },
  errors: { 404: "No run with this id", 412: "The run's workflow is no longer served by this app" },
  handler: async ({ db, actor, params }) => {
    // Before the service, whose unknown-run 404 names the field (runId) for the panel's form.
    await runInScope(db, actor, params.id, "read");
    return replayRun(db, params.id);
  },
});

export const runActionRoutes = [rerunRunRoute, replayRunRoute] as const;
