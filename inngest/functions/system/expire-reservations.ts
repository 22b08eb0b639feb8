import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { sweepInPasses } from "./sweep";
import { expireReservations } from "@/server/governance/budgets/reservations";

/**
 * Gives back the money held by reservations whose worker crashed or hung (past their expiry),
 * every minute, as a system run on the engine: `reserve` no longer sweeps on its way (it still
 * expires once before refusing, so a budget never refuses what it can afford).
 */
export const expireReservationsCron = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}expire-reservations`,
    name: "wflo: expire crashed reservations",
    description: "Returns the money of budget reservations past their expiry to their budgets.",
    retries: 2,
    concurrency: [{ limit: 1 }],
    triggers: [{ cron: "* * * * *" }],
  },
  async ({ step }) => {
    // Bounded passes (1,000 each), so one run never holds the budget rows for long.
    const expired = await sweepInPasses(step, "expire", 1000, () => expireReservations(getDb()));
    return { expired };
  },
);
