import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { byEventInput, listRunsInput, runIdInput, sendEventInput, triggerInput } from "./schemas";
import { getRun, listRuns, runsForEvent } from "./queries";
import { cancelRun, rerunRun, sendEventToRun, triggerWorkflow } from "./service";

export const runsRouter = createTRPCRouter({
  /** Newest first, filtered, paged by an opaque cursor. */
  list: requirePermission("runs:read")
    .input(listRunsInput)
    .query(({ ctx, input }) => listRuns(ctx.db, ctx.user, input)),
  /** One run with its steps, for the detail page (polled while the run is live). */
  get: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => getRun(ctx.db, ctx.user, input.runId)),
  /** The runs a just-sent event started; the trigger form waits on this to open the run. */
  byEvent: requirePermission("runs:read")
    .input(byEventInput)
    .query(({ ctx, input }) => runsForEvent(ctx.db, input.eventId)),
  trigger: requirePermission("runs:trigger")
    .input(triggerInput)
    .mutation(({ ctx, input }) =>
      triggerWorkflow(ctx.db, ctx.user, input.workflowId, input.input, input.budgetUsd, {
        requireApproval: input.requireApproval,
      }),
    ),
  cancel: requirePermission("runs:cancel")
    .input(runIdInput)
    .mutation(({ ctx, input }) => cancelRun(ctx.db, ctx.user, input.runId)),
  rerun: requirePermission("runs:rerun")
    .input(runIdInput)
    .mutation(({ ctx, input }) => rerunRun(ctx.db, ctx.user, input.runId)),
  /** Sends an event one of the run's open waits is for (the run page's "Send <event>" panel). */
  sendEvent: requirePermission("runs:trigger")
    .input(sendEventInput)
    .mutation(({ ctx, input }) => sendEventToRun(ctx.db, ctx.user, input.runId, input.name, input.data)),
});
