import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { PRUNE_BATCH, pruneSystemRuns } from "@/server/runs/retention";

/**
 * Keeps the system runs the crons leave (this one included) from growing the runs table: clean
 * ones go after a day, the others after a week (server/runs/retention.ts).
 */
export const pruneSystemRunsCron = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}prune-system-runs`,
    name: "wflo: prune old system runs",
    description: "Deletes wflo's own scheduled runs past their retention (a day; a week if they did not complete).",
    retries: 2,
    concurrency: [{ limit: 1 }],
    triggers: [{ cron: "* * * * *" }],
  },
  async ({ step }) => {
    let pruned = 0;
    // Bounded passes, as the expiry crons do: a backlog is worked off over a few minutes.
    for (let pass = 0; pass < 10; pass++) {
      const n = await step.run(`prune-${pass}`, () => pruneSystemRuns(getDb()));
      pruned += n;
      if (n < PRUNE_BATCH) break;
    }
    return { pruned };
  },
);
