/**
 * Example: an OpenAI Agents SDK agent team (triage -> specialist with a tool), run as a wflo
 * workflow unchanged. wflo detects the Agent and runs it with its framework adapter
 * (server/adapters/frameworks/openai-agents.ts):
 *   - every model call is a durable, governed step `llm:<model>:<n>` recorded under the agent's
 *     name (budget checked before the provider sees the request; tokens and cost recorded after);
 *   - every tool call is a durable step `tool:<name>:<n>` (a replayed run never re-runs it);
 *   - a checkpoint `openai-agents.turn` after every agent turn shows on the run page;
 *   - the Agents SDK's tracing export to OpenAI is off for the run.
 *
 * Not registered by default (it needs a real key). To try it: set OPENAI_API_KEY (the SDK's
 * own `setDefaultOpenAIClient(...)` or `openAIAgentsAdapter({ apiKey, baseURL })` work too),
 * add `openaiAgentsExample` to `workflows` in inngest/registry.ts, start wflo and run
 * `wflo run openai-agents-example --input '{"question":"What is the weather in Oslo?"}' --budget 0.05`.
 */
import { Agent, handoff, tool } from "@openai/agents";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";
import { runTarget } from "@/server/adapters/frameworks";

const getWeather = tool({
  name: "get_weather",
  description: "Today's weather in a city.",
  parameters: z.object({ city: z.string() }),
  // Stand-in for a real weather API call.
  execute: async ({ city }) => `In ${city}: 14°C, light rain.`,
});

export const weatherAgent = new Agent({
  name: "Weather desk",
  instructions: "Answer weather questions. Always look the weather up with get_weather.",
  model: "gpt-4o-mini",
  tools: [getWeather],
});

export const triageAgent = new Agent({
  name: "Triage",
  instructions: "If the question is about weather, hand it to the weather desk; otherwise answer briefly yourself.",
  model: "gpt-4o-mini",
  handoffs: [handoff(weatherAgent)],
});

export const openaiAgentsExample = defineWorkflow(
  {
    id: "openai-agents-example",
    name: "OpenAI Agents SDK team (example)",
    description:
      "A triage agent handing weather questions to a specialist with a tool, run unchanged under wflo's budgets, steps and checkpoints.",
    event: "examples/openai-agents",
    input: z.object({
      question: z.string().min(1).default("What is the weather in Oslo?").describe("What to ask the triage agent"),
    }),
    retries: 2,
  },
  // runTarget picks the adapter from the object: here the OpenAI Agents SDK one.
  async (ctx) => runTarget(triageAgent, ctx.input.question, ctx),
);
