import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { sweepInPasses } from "./sweep";
import { expireOverdueExternal } from "@/server/approvals/external";

/**
 * Every minute: external approval requests (REST, no run waiting on them) whose deadline passed
 * get their `onTimeout` default applied, audited and notified, like a run's gate does in its own
 * durable deadline step. Bounded passes of 50; the rest go in the next run.
 */
export const expireApprovalsCron = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}expire-approvals`,
    name: "wflo: expire overdue approvals",
    description: "Applies the deadline default to external approval requests that passed it.",
    retries: 2,
    concurrency: [{ limit: 1 }],
    triggers: [{ cron: "* * * * *" }],
  },
  async ({ step }) => {
    const expired = await sweepInPasses(step, "expire", 50, () => expireOverdueExternal(getDb()));
    return { expired };
  },
);
