import { addTraceProcessor, Agent, handoff, setTracingDisabled, tool } from "@openai/agents";
import { z } from "zod";
import { inngest } from "@/inngest/client";
import { openAIAgentsAdapter } from "../openai-agents";

/**
 * Test-only workflows running real `@openai/agents` agents through the adapter. The base URL is
 * the test's local provider server (set before the first run), never env.
 */
export const agentsProvider = { baseURL: "" };
/** How many times the tool's own code ran (a replayed agent loop must not run it again). */
export const toolRuns: string[] = [];

// The SDK turns tracing off under NODE_ENV=test; on, as in production, the adapter must keep it off.
setTracingDisabled(false);
/** Traces and spans the SDK started (what its OpenAI exporter, registered on import, would send). */
export const tracedEvents: string[] = [];
addTraceProcessor({
  onTraceStart: async (t) => void tracedEvents.push(`trace:${t.name}`),
  onTraceEnd: async () => undefined,
  onSpanStart: async (s) => void tracedEvents.push(`span:${s.spanData.type}`),
  onSpanEnd: async () => undefined,
  shutdown: async () => undefined,
  forceFlush: async () => undefined,
});

const getWeather = tool({
  name: "get_weather",
  description: "The weather in a city.",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    toolRuns.push(city);
    return `sunny in ${city}`;
  },
});

export const weatherAgent = new Agent({
  name: "Weather desk",
  instructions: "Answer weather questions with the tool.",
  model: "gpt-4o-mini",
  tools: [getWeather],
});
export const triageAgent = new Agent({
  name: "Triage",
  instructions: "Hand weather questions to the weather desk.",
  model: "gpt-4o-mini",
  handoffs: [handoff(weatherAgent)],
});
// A cycle, as triage patterns have: the desk can hand back.
weatherAgent.handoffs = [triageAgent];

export const agentsWorkflow = inngest.createFunction(
  { id: "test-openai-agents", retries: 0, triggers: [{ event: "test/openai-agents" }] },
  async (ctx) => {
    const responses = openAIAgentsAdapter({ baseURL: agentsProvider.baseURL, apiKey: "sk-test-agents" });
    const chat = openAIAgentsAdapter({
      baseURL: agentsProvider.baseURL,
      apiKey: "sk-test-agents",
      useResponses: false,
    });
    // A tool round trip on the Responses API, then a handoff on Chat Completions.
    const weather = await responses.run(weatherAgent, 'call tool get_weather with {"city":"Paris"}', ctx);
    const triaged = await chat.run(triageAgent, "call tool transfer_to_Weather_desk with {}", ctx);
    const after = await ctx.step.run("after", () => "done");
    return { weather, triaged, after };
  },
);

/** A manager using the weather desk as a tool (`asTool`): a nested Runner inside the run. */
export const managerAgent = new Agent({
  name: "Manager",
  instructions: "Ask the weather desk.",
  model: "gpt-4o-mini",
  tools: [weatherAgent.asTool({ toolName: "ask_weather_desk", toolDescription: "Ask the weather desk a question." })],
});

export const agentsNestedWorkflow = inngest.createFunction(
  { id: "test-openai-agents-nested", retries: 0, triggers: [{ event: "test/openai-agents.nested" }] },
  async (ctx) =>
    openAIAgentsAdapter({ baseURL: agentsProvider.baseURL, apiKey: "sk-test-agents" }).run(
      managerAgent,
      'call tool ask_weather_desk with {"input":"call tool get_weather with {\\"city\\":\\"Rome\\"}"}',
      ctx,
    ),
);

/** Crashes after the agent on its first attempt: the retry replays the agent from memoised steps. */
export const agentsRetryWorkflow = inngest.createFunction(
  { id: "test-openai-agents-retry", retries: 1, triggers: [{ event: "test/openai-agents.retry" }] },
  async (ctx) => {
    const adapter = openAIAgentsAdapter({ baseURL: agentsProvider.baseURL, apiKey: "sk-test-agents" });
    const out = await adapter.run(weatherAgent, 'call tool get_weather with {"city":"Oslo"}', ctx);
    if (ctx.attempt === 0) throw new Error("crash after the agent finished");
    return out;
  },
);

export const openAIAgentsTestFunctions = [agentsWorkflow, agentsRetryWorkflow, agentsNestedWorkflow];
