import { inngest } from "@/inngest/client";

/**
 * Test-only workflows for governance on the embedded engine: one call to each real provider
 * SDK, an agent stuck repeating one call, and a run with many plain steps.
 */
export const providerCalls = inngest.createFunction(
  { id: "test-gov-providers", retries: 0, triggers: [{ event: "test/gov.providers" }] },
  async ({ wflo }) => {
    const openai = await wflo.llm.complete("ask-openai", {
      system: "Be brief.",
      prompt: "Name three uses of PostgreSQL advisory locks.",
      model: "gpt-4o-mini",
      maxTokens: 200,
    });
    const anthropic = await wflo.llm.complete("ask-anthropic", {
      system: "Be brief.",
      prompt: "Explain MVCC in one line.",
      model: "claude-3-5-haiku-latest",
      maxTokens: 200,
    });
    return { openai, anthropic };
  },
);

/** An agent in a loop: the same model, system and prompt again and again, each as its own step. */
export const stuckLoop = inngest.createFunction(
  { id: "test-gov-loop", retries: 0, triggers: [{ event: "test/gov.loop" }] },
  async ({ wflo }) => {
    for (let i = 1; i <= 6; i++)
      await wflo.llm.complete(`think-${i}`, {
        system: "You are an agent.",
        prompt: "What should I do next?",
        maxTokens: 50,
      });
    return { done: true };
  },
);

/** Many plain steps and no LLM call at all: the max-steps guard must still stop it. */
export const manySteps = inngest.createFunction(
  { id: "test-gov-steps", retries: 2, triggers: [{ event: "test/gov.steps" }] },
  async ({ step }) => {
    let total = 0;
    for (let i = 1; i <= 8; i++) total += await step.run(`work-${i}`, () => i);
    return { total };
  },
);

export const governanceTestFunctions = [providerCalls, stuckLoop, manySteps];
export const governanceTestWorkflowIds = ["test-gov-providers", "test-gov-loop", "test-gov-steps"] as const;
