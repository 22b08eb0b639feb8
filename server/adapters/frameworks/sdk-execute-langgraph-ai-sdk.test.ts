import { describe, expect, it, vi } from "vitest";
import { engineOnlyForSuite } from "@/sdk/testing/engine-only";

/**
 * The documented way in (docs/sdk-and-adapters.md) for LangGraph.js and the Vercel AI SDK: `new WfloWorkflow({ name,
 * budgetUsd }).execute(target, inputs)` from wflo/sdk with a real compiled graph, a real
 * ToolLoopAgent and a generateText options object, each detected by the registry and run by its
 * adapter on the embedded engine against the local provider server (base URLs passed, no env).
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const env = engineOnlyForSuite();

async function targets() {
  const [{ ChatOpenAI }, { StateGraph, MessagesAnnotation, START, END }, { createOpenAI }, { ToolLoopAgent }] =
    await Promise.all([
      import("@langchain/openai"),
      import("@langchain/langgraph"),
      import("@ai-sdk/openai"),
      import("ai"),
    ]);
  const chat = new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "sk-test-execute",
    configuration: { baseURL: env.providers.openaiBaseUrl },
    maxTokens: 200,
    maxRetries: 0,
  });
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("chat", async (s) => ({ messages: [await chat.invoke(s.messages)] }))
    .addEdge(START, "chat")
    .addEdge("chat", END)
    .compile();
  const model = createOpenAI({ apiKey: "sk-test-execute", baseURL: env.providers.openaiBaseUrl }).chat("gpt-4o-mini");
  return {
    langgraph: { target: graph, inputs: { messages: [{ role: "user", content: "Define MVCC." }] } },
    "ai-sdk-agent": {
      target: new ToolLoopAgent({ model, instructions: "Be brief.", maxOutputTokens: 200 }),
      inputs: { prompt: "Define MVCC." },
    },
    "ai-sdk-call": {
      target: { model, system: "Be brief.", maxOutputTokens: 200 },
      inputs: { prompt: "Define MVCC.", stream: true },
    },
  };
}

describe("LangGraph graphs and AI SDK agents/calls through WfloWorkflow.execute", () => {
  it("runs each with governed calls; the cost breakdown is the recorded calls'", async () => {
    const { WfloWorkflow } = await import("@/sdk");
    for (const [id, { target, inputs }] of Object.entries(await targets())) {
      const workflow = new WfloWorkflow({ name: `execute-${id}`, budgetUsd: 0.5 });
      const before = env.providers.requests.length;
      const out = await workflow.execute(target, inputs);
      expect(JSON.stringify(out), id).toContain("Reply from gpt-4o-mini: Define MVCC.");
      expect(env.providers.requests.length - before, id).toBe(1);
      const calls = await env.callsOf(workflow.executionId!);
      expect(
        calls.map((c) => [c.model, c.status, c.priceSource]),
        id,
      ).toEqual([["gpt-4o-mini", "ok", "catalogue"]]);
      const b = await workflow.getCostBreakdown();
      expect(b.totalNano, id).toBe(BigInt(calls[0]!.inputTokens * 150 + calls[0]!.outputTokens * 600));
    }
  }, 120_000);

  it("a budget too small rejects execute with BudgetExceededError before the provider is called", async () => {
    const { WfloWorkflow, BudgetExceededError } = await import("@/sdk");
    for (const [id, { target, inputs }] of Object.entries(await targets())) {
      const workflow = new WfloWorkflow({ name: `execute-small-${id}`, budgetUsd: 0.000001 });
      const before = env.providers.requests.length;
      const err = await workflow.execute(target, inputs).catch((e: unknown) => e);
      expect(err, id).toBeInstanceOf(BudgetExceededError);
      expect(env.providers.requests.length, id).toBe(before);
    }
  }, 120_000);
});
