import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { inngest } from "@/inngest/client";
import { langGraphAdapter } from "../langgraph";

/**
 * Test-only workflows running real LangGraph.js graphs (`@langchain/langgraph` with
 * `@langchain/openai` chat models) through the adapter. The base URL is the test's local
 * provider server (set before the first run), never env.
 */
export const langGraphProvider = { baseURL: "" };
/** Every time the tool's own code ran, and whether it is to fail once (a simulated crash). */
export const toolRuns: string[] = [];
export const crashOnce = { armed: false };

const chat = (model = "gpt-4o-mini") =>
  new ChatOpenAI({
    model,
    apiKey: "sk-test-langgraph",
    configuration: { baseURL: langGraphProvider.baseURL },
    maxTokens: 200,
    maxRetries: 0,
  });

const weather = tool(
  async ({ city }: { city: string }) => {
    toolRuns.push(city);
    if (crashOnce.armed) {
      crashOnce.armed = false;
      throw new Error("simulated crash in the tools node");
    }
    return `sunny in ${city}`;
  },
  { name: "weather", description: "The weather in a city.", schema: z.object({ city: z.string() }) },
);

/** The canonical tool-calling agent graph: agent -> tools -> agent. */
export function agentGraph() {
  const model = chat().bindTools([weather]);
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (s) => ({ messages: [await model.invoke(s.messages)] }))
    .addNode("tools", new ToolNode([weather], { handleToolErrors: false }))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile();
}

/** One chat node; in the adapter's stream mode LangGraph streams its call from the provider. */
export function streamingGraph() {
  const model = chat("gpt-4o");
  return new StateGraph(MessagesAnnotation)
    .addNode("chat", async (s) => ({ messages: [await model.invoke(s.messages)] }))
    .addEdge(START, "chat")
    .addEdge("chat", END)
    .compile();
}

export const langGraphAgentWorkflow = inngest.createFunction(
  { id: "test-langgraph-agent", retries: 1, triggers: [{ event: "test/langgraph.agent" }] },
  async (ctx) => {
    const out = await langGraphAdapter().run(
      agentGraph(),
      { messages: [{ role: "user", content: 'call tool weather with {"city":"Paris"}' }] },
      ctx,
    );
    const after = await ctx.step.run("after", () => "done");
    return { out, after };
  },
);

export const langGraphStreamWorkflow = inngest.createFunction(
  { id: "test-langgraph-stream", retries: 0, triggers: [{ event: "test/langgraph.stream" }] },
  async (ctx) =>
    langGraphAdapter({ mode: "stream" }).run(
      streamingGraph(),
      { messages: [{ role: "user", content: "Stream a haiku." }] },
      ctx,
    ),
);

export const langGraphTestFunctions = [langGraphAgentWorkflow, langGraphStreamWorkflow];
