/**
 * Example: a LangGraph.js tool-calling agent graph (agent -> tools -> agent) run as a wflo
 * workflow unchanged. wflo detects the compiled graph and runs it with its LangGraph adapter
 * (server/adapters/frameworks/langgraph.ts):
 *   - one durable step `langgraph:<i>` per superstep (per node, for this graph); each step
 *     resumes the graph from the LangGraph checkpoint the previous one saved (thread id = the
 *     run id), so a crash or retry never re-runs a finished node nor pays its calls again;
 *   - every chat model call is governed by `WfloCallbackHandler` (budget checked before the
 *     provider sees the request; the provider-reported tokens priced from the catalogue after);
 *   - a checkpoint `langgraph.node` with each node's update shows on the run page.
 *
 * Not registered by default (it needs a real key). To try it: set OPENAI_API_KEY (offline: start
 * `npx tsx server/governance/testing/provider-server.ts 4010`, set
 * OPENAI_BASE_URL=http://127.0.0.1:4010/v1, and ask it to `call tool glossary with {"term":"MVCC"}`),
 * add `langGraphExample` to `workflows` in inngest/registry.ts, start wflo and run
 * `wflo run langgraph-agent-example --input '{"question":"What is MVCC?"}' --budget 0.05`.
 */
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";
import { runTarget } from "@/server/adapters/frameworks";
import { langGraphAdapter } from "@/server/adapters/frameworks/langgraph";

const terms: Record<string, string> = {
  MVCC: "multi-version concurrency control: readers see a snapshot, writers add row versions",
};

const glossary = tool(async ({ term }: { term: string }) => terms[term] ?? `no entry for ${term}`, {
  name: "glossary",
  description: "Look a database term up in the team glossary.",
  schema: z.object({ term: z.string() }),
});

/** Existing agent code: nothing in it knows about wflo. */
const model = new ChatOpenAI({ model: "gpt-4o-mini", maxTokens: 400 }).bindTools([glossary]);
export const explainerGraph = new StateGraph(MessagesAnnotation)
  .addNode("agent", async (s) => ({ messages: [await model.invoke(s.messages)] }))
  .addNode("tools", new ToolNode([glossary]))
  .addEdge(START, "agent")
  .addConditionalEdges("agent", toolsCondition, ["tools", END])
  .addEdge("tools", "agent")
  .compile();

export const langGraphExample = defineWorkflow(
  {
    id: "langgraph-agent-example",
    name: "LangGraph agent (example)",
    description:
      "A LangGraph.js tool-calling agent run unchanged under wflo's budgets, one durable step per node, and node checkpoints.",
    event: "examples/langgraph-agent",
    input: z.object({
      question: z.string().min(1).default("What is MVCC?"),
      stream: z.boolean().default(false).describe("stream the model calls and return every node's update"),
    }),
    retries: 2,
  },
  async (ctx) => {
    const input = { messages: [{ role: "user", content: ctx.input.question }] };
    // The registry's adapter runs graphs in invoke mode; the stream mode is an option of the adapter.
    return ctx.input.stream
      ? langGraphAdapter({ mode: "stream" }).run(explainerGraph, input, ctx)
      : runTarget(explainerGraph, input, ctx);
  },
);
