import { describe, expect, it, vi } from "vitest";
import { engineOnlyForSuite } from "@/sdk/testing/engine-only";

/**
 * The documented way in (docs/sdk-and-adapters.md): `new WfloWorkflow({ name, budgetUsd }).execute(agent, { prompt })` from
 * wflo/sdk with a real OpenAI Agents SDK agent, AgentKit network and Mastra agent, each detected
 * by the registry and run by its adapter on the embedded engine against the local provider
 * server; the cost breakdown is what `llm_calls` holds, and a budget too small stops the run
 * with the SDK's BudgetExceededError before the provider sees anything.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const env = engineOnlyForSuite();

async function agents() {
  const [
    { Agent: OpenAIAgent, setDefaultOpenAIClient },
    kit,
    { Agent: MastraAgent },
    { createOpenAI },
    { default: OpenAI },
  ] = await Promise.all([
    import("@openai/agents"),
    import("@inngest/agent-kit"),
    import("@mastra/core/agent"),
    import("@ai-sdk/openai"),
    import("openai"),
  ]);
  // The Agents SDK's own configuration (no env): the adapter governs the client it holds.
  setDefaultOpenAIClient(
    new OpenAI({ apiKey: "sk-test-execute", baseURL: env.providers.openaiBaseUrl, maxRetries: 0 }) as never,
  );
  const writer = kit.createAgent({
    name: "writer",
    system: "Be brief.",
    model: kit.openai({ model: "gpt-4o-mini", apiKey: "sk-test-execute", baseUrl: env.providers.openaiBaseUrl }),
  });
  return {
    "openai-agents": new OpenAIAgent({ name: "Assistant", instructions: "Be brief.", model: "gpt-4o-mini" }),
    agentkit: kit.createNetwork({
      name: "one",
      agents: [writer],
      router: ({ callCount }) => (callCount === 0 ? writer : undefined),
    }),
    mastra: new MastraAgent({
      id: "assistant",
      name: "Assistant",
      instructions: "Be brief.",
      model: createOpenAI({ apiKey: "sk-test-execute", baseURL: env.providers.openaiBaseUrl }).chat("gpt-4o-mini"),
    }),
  };
}

describe("framework agents through WfloWorkflow.execute", () => {
  it("runs each with governed calls; the cost breakdown is the recorded calls'", async () => {
    const { WfloWorkflow } = await import("@/sdk");
    const all = await agents();
    const outputs: Record<string, string> = {};
    for (const [id, agent] of Object.entries(all)) {
      const workflow = new WfloWorkflow({ name: `execute-${id}`, budgetUsd: 0.5 });
      const before = env.providers.requests.length;
      const out = await workflow.execute(agent, { prompt: "Define MVCC." });
      outputs[id] = JSON.stringify(out);
      expect(env.providers.requests.length - before).toBe(1);
      const calls = await env.callsOf(workflow.executionId!);
      expect(calls.map((c) => [c.model, c.status, c.priceSource])).toEqual([["gpt-4o-mini", "ok", "catalogue"]]);
      const b = await workflow.getCostBreakdown();
      expect(b.totalNano).toBe(BigInt(calls[0]!.inputTokens * 150 + calls[0]!.outputTokens * 600));
    }
    for (const o of Object.values(outputs)) expect(o).toContain("Reply from gpt-4o-mini: Define MVCC.");
  }, 120_000);

  it("a budget too small rejects execute with BudgetExceededError before the provider is called", async () => {
    const { WfloWorkflow, BudgetExceededError } = await import("@/sdk");
    const all = await agents();
    for (const [id, agent] of Object.entries(all)) {
      const workflow = new WfloWorkflow({ name: `execute-small-${id}`, budgetUsd: 0.000001 });
      const before = env.providers.requests.length;
      const err = await workflow.execute(agent, { prompt: "Define MVCC." }).catch((e: unknown) => e);
      expect(err, id).toBeInstanceOf(BudgetExceededError);
      expect(env.providers.requests.length, id).toBe(before);
    }
  }, 120_000);
});
