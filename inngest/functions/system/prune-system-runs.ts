import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { sweepInPasses } from "./sweep";
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
    const pruned = await sweepInPasses(step, "prune", PRUNE_BATCH, () => pruneSystemRuns(getDb()));
    return { pruned };
  },
);
