/**
 * Example: a Mastra agent with a tool, run as a wflo workflow unchanged. wflo detects the Mastra
 * Agent and runs a fork of it with its framework adapter (server/adapters/frameworks/mastra.ts):
 *   - every model call is a durable, governed step `mastra:<model>:<n>` recorded under the
 *     agent's name (budget checked before the provider sees the request; tokens and cost after);
 *   - every tool execution is a durable step `tool:<id>:<n>` (a replayed run never re-runs it);
 *   - a checkpoint `mastra.step` after every model step shows on the run page.
 *
 * The model must be an AI SDK model object (`openai("gpt-4o-mini")` from @ai-sdk/openai), not
 * a Mastra model-router id such as "openai/gpt-4o-mini".
 *
 * Not registered by default (it needs a real key). To try it: set OPENAI_API_KEY (and
 * MASTRA_TELEMETRY_DISABLED=1 if the app also builds a `Mastra` instance), add
 * `mastraAgentExample` to `workflows` in inngest/registry.ts, start wflo and run
 * `wflo run mastra-agent-example --input '{"question":"How warm is it in Lisbon?"}' --budget 0.05`.
 */
import { openai } from "@ai-sdk/openai";
import { Agent } from "@mastra/core/agent";
import { createTool } from "@mastra/core/tools";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";
import { runTarget } from "@/server/adapters/frameworks";

const getWeather = createTool({
  id: "get_weather",
  description: "Today's weather in a city.",
  inputSchema: z.object({ city: z.string() }),
  // Stand-in for a real weather API call.
  execute: async ({ city }) => ({ city, celsius: 21, sky: "clear" }),
});

export const weatherAgent = new Agent({
  id: "weather",
  name: "Weather assistant",
  instructions: "Answer weather questions briefly. Always look the weather up with get_weather.",
  model: openai("gpt-4o-mini"),
  tools: { get_weather: getWeather },
});

export const mastraAgentExample = defineWorkflow(
  {
    id: "mastra-agent-example",
    name: "Mastra agent (example)",
    description: "A Mastra agent with a weather tool, run unchanged under wflo's budgets, steps and checkpoints.",
    event: "examples/mastra-agent",
    input: z.object({
      question: z.string().min(1).default("How warm is it in Lisbon?").describe("What to ask the agent"),
    }),
    retries: 2,
  },
  async (ctx) => runTarget(weatherAgent, ctx.input.question, ctx),
);
