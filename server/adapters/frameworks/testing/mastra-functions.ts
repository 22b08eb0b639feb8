import { createOpenAI } from "@ai-sdk/openai";
import { Agent } from "@mastra/core/agent";
import { createTool } from "@mastra/core/tools";
import { z } from "zod";
import { inngest } from "@/inngest/client";
import { runTarget } from "../index";

/**
 * Test-only workflow running a real `@mastra/core` Agent (an AI SDK OpenAI model, one tool)
 * through the registry. The provider URL comes from the test (the local provider server), never env.
 */
export const mastraProvider = { openai: "" };
/** How many times the tool's own code ran (a replayed agent loop must not run it again). */
export const mastraToolRuns: string[] = [];

const lookup = createTool({
  id: "lookup",
  description: "Look a database term up.",
  inputSchema: z.object({ term: z.string() }),
  execute: async ({ term }) => {
    mastraToolRuns.push(term);
    return `${term}: multi-version concurrency control`;
  },
});

export function buildMastraAgent() {
  const openai = createOpenAI({ apiKey: "sk-test-mastra", baseURL: mastraProvider.openai });
  return new Agent({
    id: "glossary",
    name: "Glossary",
    instructions: "Look terms up with the tool.",
    model: openai.chat("gpt-4o-mini"),
    tools: { lookup },
  });
}

export const mastraWorkflow = inngest.createFunction(
  { id: "test-mastra", retries: 0, triggers: [{ event: "test/mastra" }] },
  async (ctx) => {
    const out = await runTarget(buildMastraAgent(), 'call tool lookup with {"term":"MVCC"}', ctx);
    const after = await ctx.step.run("after", () => "done");
    return { out, after };
  },
);

/** An agent with a sub-agent: the sub-agent's calls would bypass governance, so the adapter refuses it. */
export const mastraSubAgentWorkflow = inngest.createFunction(
  { id: "test-mastra-subagent", retries: 2, triggers: [{ event: "test/mastra.subagent" }] },
  async (ctx) => {
    const openai = createOpenAI({ apiKey: "sk-test-mastra", baseURL: mastraProvider.openai });
    const helper = new Agent({
      id: "helper",
      name: "Helper",
      description: "Helps.",
      instructions: "Help.",
      model: openai.chat("gpt-4o-mini"),
    });
    const lead = new Agent({
      id: "lead",
      name: "Lead",
      instructions: "Delegate.",
      model: openai.chat("gpt-4o-mini"),
      agents: { helper },
    });
    return runTarget(lead, "hello", ctx);
  },
);

/** Crashes after the agent on its first attempt: the retry replays it from memoised steps. */
export const mastraRetryWorkflow = inngest.createFunction(
  { id: "test-mastra-retry", retries: 1, triggers: [{ event: "test/mastra.retry" }] },
  async (ctx) => {
    const out = await runTarget(buildMastraAgent(), 'call tool lookup with {"term":"WAL"}', ctx);
    if (ctx.attempt === 0) throw new Error("crash after the agent finished");
    return out;
  },
);

export const mastraTestFunctions = [mastraWorkflow, mastraRetryWorkflow, mastraSubAgentWorkflow];
