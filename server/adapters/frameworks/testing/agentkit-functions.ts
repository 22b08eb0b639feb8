import { anthropic, createAgent, createNetwork, createTool, gemini, openai } from "@inngest/agent-kit";
import { z } from "zod";
import { inngest } from "@/inngest/client";
import { runTarget } from "../index";

/**
 * Test-only workflow running a real `@inngest/agent-kit` network (an OpenAI researcher with a
 * tool, then a Claude writer, chosen by a code router) through the registry. Provider URLs and
 * keys come from the test (the local provider server), never env.
 */
export const kitProviders = { openai: "", anthropic: "", google: "" };
/** How many times the tool's own code ran (a replayed network must not run it again). */
export const kitToolRuns: string[] = [];

const lookup = createTool({
  name: "lookup",
  description: "Look a database term up.",
  parameters: z.object({ term: z.string() }),
  // AgentKit's convention: a tool's side effects go in the step tools it is handed.
  handler: async ({ term }, { step }) =>
    step!.run("lookup", () => {
      kitToolRuns.push(term);
      return `${term}: multi-version concurrency control`;
    }),
});

/** Built per run: the models need the provider server's URLs, known only once the test started it. */
export function buildNetwork() {
  const researcher = createAgent({
    name: "researcher",
    system: "You look terms up.",
    tools: [lookup],
    model: openai({ model: "gpt-4o-mini", apiKey: "sk-test-agentkit", baseUrl: kitProviders.openai }),
  });
  const writer = createAgent({
    name: "writer",
    system: "You write one sentence.",
    model: anthropic({
      model: "claude-3-5-haiku-latest",
      apiKey: "sk-ant-test-agentkit",
      baseUrl: `${kitProviders.anthropic}/v1/`,
      defaultParameters: { max_tokens: 300 },
    }),
  });
  return createNetwork({
    name: "research",
    agents: [researcher, writer],
    router: ({ callCount }) => (callCount === 0 ? researcher : callCount === 1 ? writer : undefined),
  });
}

export const agentKitWorkflow = inngest.createFunction(
  { id: "test-agentkit", retries: 0, triggers: [{ event: "test/agentkit" }] },
  async (ctx) => {
    const out = await runTarget(buildNetwork(), 'call tool lookup with {"term":"MVCC"}', ctx);
    const after = await ctx.step.run("after", () => "done");
    return { out, after };
  },
);

/** A network routed by AgentKit's default routing agent (an LLM) on its defaultModel; maxIter bounds it. */
export function buildRoutedNetwork() {
  const model = openai({ model: "gpt-4o-mini", apiKey: "sk-test-agentkit", baseUrl: kitProviders.openai });
  const writer = createAgent({
    name: "writer",
    description: "Writes one sentence.",
    system: "You write one sentence.",
    model,
  });
  return createNetwork({ name: "routed", agents: [writer], defaultModel: model, maxIter: 2 });
}

export const agentKitRoutedWorkflow = inngest.createFunction(
  { id: "test-agentkit-routed", retries: 0, triggers: [{ event: "test/agentkit.routed" }] },
  async (ctx) => runTarget(buildRoutedNetwork(), 'call tool select_agent with {"name":"writer"}', ctx),
);

/** A single AgentKit Agent (no network) on Gemini. */
export function buildGeminiAgent() {
  return createAgent({
    name: "summariser",
    system: "Summarise in one line.",
    model: gemini({ model: "gemini-2.0-flash", apiKey: "test-agentkit", baseUrl: `${kitProviders.google}/v1beta/` }),
  });
}

export const agentKitAgentWorkflow = inngest.createFunction(
  { id: "test-agentkit-agent", retries: 0, triggers: [{ event: "test/agentkit.agent" }] },
  async (ctx) => runTarget(buildGeminiAgent(), { prompt: "Explain vacuum." }, ctx),
);

/** Crashes after the agent on its first attempt: the retry replays it from memoised steps. */
export const agentKitRetryWorkflow = inngest.createFunction(
  { id: "test-agentkit-retry", retries: 1, triggers: [{ event: "test/agentkit.retry" }] },
  async (ctx) => {
    const out = await runTarget(buildNetwork(), 'call tool lookup with {"term":"WAL"}', ctx);
    if (ctx.attempt === 0) throw new Error("crash after the agent finished");
    return out;
  },
);

export const agentKitTestFunctions = [
  agentKitWorkflow,
  agentKitRetryWorkflow,
  agentKitRoutedWorkflow,
  agentKitAgentWorkflow,
];
