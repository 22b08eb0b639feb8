import { z } from "zod";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { rollBackRun } from "@/server/recovery/compensation";
import { ROLLBACK_EVENT } from "@/server/recovery/rollback";

const rollbackData = z.object({
  runId: z.string().min(1),
  workflowId: z.string().min(1),
  requestedByEmail: z.string().nullish(),
});

/**
 * An operator's "Roll back run" (server/recovery/rollback.ts sends the event): runs the finished
 * run's recorded compensations newest first, each as a durable step of this system run, so it
 * behaves the same on the embedded engine and any Inngest server. Each compensation gets these
 * retries; one that keeps failing leaves the rollback "partly rolled back" for a person.
 */
export const runRollback = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}run-rollback`,
    name: "wflo: roll back a run",
    description: "Runs a run's compensations in reverse order when an operator rolls it back.",
    retries: 2,
    // One rollback of a run at a time, even if the event were sent twice.
    concurrency: [{ key: "event.data.runId", limit: 1 }],
    triggers: [{ event: ROLLBACK_EVENT }],
  },
  async ({ event, step }) => {
    const parsed = rollbackData.safeParse(event.data);
    if (!parsed.success) return { skipped: "malformed rollback request" };
    const { runId, workflowId, requestedByEmail } = parsed.data;
    return rollBackRun(step, { runId, workflowId, reason: "operator", requestedByEmail });
  },
);
