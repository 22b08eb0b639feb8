import { createOpenAI } from "@ai-sdk/openai";
import { stepCountIs, tool, ToolLoopAgent } from "ai";
import { z } from "zod";
import { inngest } from "@/inngest/client";
import { aiSdkAdapter } from "../ai-sdk";
import { governModel } from "../ai-sdk-model";

/**
 * Test-only workflows running real Vercel AI SDK code (`ai` 6, `@ai-sdk/openai`) through the
 * adapter. The base URL is the test's local provider server (set before the first run), never env.
 */
export const aiSdkProvider = { baseURL: "", slowBaseURL: "" };
/** Every time a tool's own code ran (a replayed loop must not run it again). */
export const toolRuns: string[] = [];

const provider = () => createOpenAI({ baseURL: aiSdkProvider.baseURL, apiKey: "sk-test-ai-sdk" });

const weather = tool({
  description: "The weather in a city.",
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    toolRuns.push(city);
    return `sunny in ${city}`;
  },
});

/** A generateText call (Chat Completions), a tool round trip, then a plain step. */
export const aiSdkCallWorkflow = inngest.createFunction(
  { id: "test-ai-sdk-call", retries: 0, triggers: [{ event: "test/ai-sdk.call" }] },
  async (ctx) => {
    const call = {
      model: provider().chat("gpt-4o-mini"),
      system: "Use the tool.",
      tools: { weather },
      stopWhen: stepCountIs(4),
      maxOutputTokens: 200,
    };
    const generated = await aiSdkAdapter.run(call, 'call tool weather with {"city":"Paris"}', ctx);
    const after = await ctx.step.run("after", () => "done");
    return { generated, after };
  },
);

/**
 * A ToolLoopAgent (Responses API) streamed, and a streamText call without tools; then the
 * function fails once ("a crash"), so its retry replays both agents from their memoised steps.
 */
export const aiSdkStreamWorkflow = inngest.createFunction(
  { id: "test-ai-sdk-stream", retries: 1, triggers: [{ event: "test/ai-sdk.stream" }] },
  async (ctx) => {
    const agent = new ToolLoopAgent({
      id: "forecaster",
      model: provider()("gpt-4o-mini"),
      instructions: "Forecast with the tool.",
      tools: { weather },
      maxOutputTokens: 200,
    });
    const streamed = await aiSdkAdapter.run(
      agent,
      { prompt: 'call tool weather with {"city":"Oslo"}', stream: true },
      ctx,
    );
    const plain = await aiSdkAdapter.run(
      { model: provider().chat("gpt-4o"), stream: true, maxOutputTokens: 100 },
      "Stream a haiku.",
      ctx,
    );
    if (ctx.attempt === 0) throw new Error("simulated crash after the agents ran");
    return { streamed, plain, attempt: ctx.attempt };
  },
);

/** governModel on its own: a stream the caller stops reading after its first text part. */
export const aiSdkCancelWorkflow = inngest.createFunction(
  { id: "test-ai-sdk-cancel", retries: 0, triggers: [{ event: "test/ai-sdk.cancel" }] },
  async (ctx) => {
    const model = governModel(
      createOpenAI({ baseURL: aiSdkProvider.slowBaseURL, apiKey: "sk-test-ai-sdk" }).chat("gpt-4o-mini"),
      ctx,
    );
    const { stream } = await model.doStream({
      prompt: [{ role: "user", content: [{ type: "text", text: "Write a long story about a lighthouse keeper." }] }],
      maxOutputTokens: 300,
    });
    const reader = stream.getReader();
    const seen: string[] = [];
    for (;;) {
      const { value } = await reader.read();
      if (!value) break;
      seen.push(value.type);
      if (value.type === "text-delta") break;
    }
    await reader.cancel();
    return { seen };
  },
);

export const aiSdkTestFunctions = [aiSdkCallWorkflow, aiSdkStreamWorkflow, aiSdkCancelWorkflow];
