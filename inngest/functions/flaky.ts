import { RetryAfterError } from "inngest";
import { z } from "zod";
import { defineWorkflow } from "./define";

/**
 * Shows retries: the "call-upstream" step fails on its first `failures` attempts and succeeds
 * after. With more failures than retries allow, the run fails and the error is kept.
 */
export const flaky = defineWorkflow(
  {
    id: "flaky",
    name: "Flaky upstream",
    description: "Calls an upstream service that fails a set number of times before it answers, to show step retries.",
    event: "demo/flaky.requested",
    retries: 3,
    input: z.object({
      failures: z
        .number({ error: "failures must be a number" })
        .int("failures must be a whole number")
        .min(0, "failures must be at least 0")
        .max(5, "failures must be at most 5")
        .default(1)
        .describe("How many attempts fail before the upstream answers (more than 3 fails the run)"),
    }),
  },
  async ({ input, step, attempt }) => {
    const answer = await step.run("call-upstream", () => {
      if (attempt < input.failures) {
        // RetryAfterError keeps the demo quick: retry in a second instead of the default backoff.
        throw new RetryAfterError(
          `upstream unavailable (simulated outage, attempt ${attempt + 1} of ${input.failures} failing)`,
          "1s",
        );
      }
      return { status: "ok", attemptsNeeded: attempt + 1 };
    });
    const summary = await step.run("summarise", () => `upstream answered after ${answer.attemptsNeeded} attempt(s)`);
    return { ...answer, summary };
  },
);
