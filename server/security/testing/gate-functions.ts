import { NonRetriableError } from "inngest";
import { getDb } from "@/db/client";
import { inngest } from "@/inngest/client";
import { requestApproval } from "@/server/approvals/request";

/**
 * A run that ends while one of its approvals is still pending: it asks for an approval in a
 * step (as a gate does) but does not wait for it; on `test/ending-gate.stop` it completes or
 * fails, as its input says, with nobody having decided. (A run that raced its gate, or one that
 * a forged wake-up once let past, ends the same way.)
 */
export const endingGate = inngest.createFunction(
  { id: "test-ending-gate", retries: 0, triggers: [{ event: "test/ending-gate" }] },
  async ({ event, step, runId }) => {
    const outcome = (event.data as { outcome?: string }).outcome === "failed" ? "failed" : "completed";
    await step.run("approval:never-decided", () =>
      requestApproval(getDb(), {
        runId,
        workflowId: "test-ending-gate",
        gate: "never-decided",
        triggeredBy: null,
        options: { action: "Something nobody decides", risk: "high", timeout: "1h" },
      }),
    );
    await step.waitForEvent("stop", {
      event: "test/ending-gate.stop",
      timeout: "1h",
      if: `async.data.runId == "${runId}"`,
    });
    if (outcome === "failed") throw new NonRetriableError("stopped before the approval was decided");
    return { stopped: true };
  },
);
