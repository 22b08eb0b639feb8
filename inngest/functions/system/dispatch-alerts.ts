import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { collectBudgetAlerts, deliverPendingNotifications } from "@/server/notifications/dispatcher";

/**
 * Every minute: budget threshold crossings become notifications, and notifications due for
 * delivery (new ones, retries after a failure or a restart) are sent to the webhooks. Reading
 * the notifications no longer does this; writes that create one still kick a delivery at once.
 */
export const dispatchAlertsCron = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}dispatch-alerts`,
    name: "wflo: dispatch alerts",
    description: "Turns budget threshold crossings into notifications and delivers pending notifications to webhooks.",
    retries: 2,
    concurrency: [{ limit: 1 }],
    triggers: [{ cron: "* * * * *" }],
  },
  async ({ step }) => {
    const collected = await step.run("collect-budget-alerts", () => collectBudgetAlerts(getDb()));
    const delivered = await step.run("deliver", () => deliverPendingNotifications(getDb()));
    return { collected, ...delivered };
  },
);
