import { z } from "zod";
import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { log } from "@/server/log";
import { rollBackRun } from "@/server/recovery/compensation";
import { ROLLBACK_EVENT, takeRollbackRequest, type RollbackRequest } from "@/server/recovery/rollback";

/** The event names a request; anything else in it (a run, a requester) is never believed. */
const rollbackEvent = z.object({ requestId: z.uuid() });

/**
 * An operator's "Roll back run" (server/recovery/rollback.ts writes the request row with its audit
 * row, then sends the event): takes the request named by the event, and runs the finished run's
 * recorded compensations newest first, each as a durable step of this system run, so it behaves
 * the same on the embedded engine and any Inngest server. What to roll back and who asked come
 * from the row: an event for an unknown, finished or taken request does nothing. Each
 * compensation gets these retries; one that keeps failing leaves the rollback "partly rolled back".
 */
export const runRollback = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}run-rollback`,
    name: "wflo: roll back a run",
    description: "Runs a run's compensations in reverse order when an operator rolls it back.",
    retries: 2,
    // One rollback of a run at a time, even if the event were sent twice (the row also lets only one run take a request).
    concurrency: [{ key: "event.data.runId", limit: 1 }],
    triggers: [{ event: ROLLBACK_EVENT }],
  },
  async ({ event, step, runId: systemRunId }) => {
    const parsed = rollbackEvent.safeParse(event.data);
    if (!parsed.success) {
      log.warn(
        { eventId: event.id },
        "rollback event without a request id (not sent by wflo's rollback service): nothing rolled back",
      );
      return { skipped: "no rollback request id" };
    }
    const request = (await step.run("rollback:request", () =>
      takeRollbackRequest(getDb(), parsed.data.requestId, systemRunId),
    )) as RollbackRequest | null;
    if (!request) return { skipped: "no open rollback request with this id" };
    return rollBackRun(step, {
      runId: request.runId,
      workflowId: request.workflowId,
      reason: "operator",
      requestedByEmail: request.requestedByEmail,
    });
  },
);
