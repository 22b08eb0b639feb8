import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { runSteps } from "@/db/schema";
import {
  expectBudgetRefusal,
  expectReplayedAfterCrash,
  openAdapterHarness,
  price,
  tok,
  turns,
} from "./testing/adapter-harness";

/**
 * The AgentKit adapter on real parts: a real `@inngest/agent-kit` network (an OpenAI researcher
 * calling a tool in its turn, then a Claude writer answering from the tool's result) run through
 * the registry inside a workflow on the embedded engine. Its `step.ai.infer` calls are made by the app under governance instead of by the
 * engine, against the local provider server (URLs and keys given to the models, no env).
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, providers, fns } = await openAdapterHarness(async (providers) => {
  const fns = await import("./testing/agentkit-functions");
  Object.assign(fns.kitProviders, {
    openai: providers.openaiBaseUrl,
    anthropic: providers.anthropicBaseUrl,
    google: providers.googleBaseUrl,
  });
  return { fns, functions: fns.agentKitTestFunctions };
});

describe("Inngest AgentKit adapter", () => {
  it("runs a real network with step.ai.infer governed in the app: durable steps, exact tokens and costs, a checkpoint per agent", async () => {
    const before = providers.requests.length;
    const { runId, run } = await h.completed("test/agentkit");
    const out = run.output as {
      out: { results: { agent: string; toolCalls: unknown[] }[]; lastAgent: string };
      after: string;
    };
    expect(out.after).toBe("done");
    expect(out.out.lastAgent).toBe("writer");
    expect(out.out.results.map((r) => r.agent)).toEqual(["researcher", "writer"]);
    expect(JSON.stringify(out.out.results[0]!.toolCalls)).toContain("MVCC: multi-version concurrency control");

    // Every model call reached the provider once, from the app (the engine made none), and the
    // tool ran once, although the network loop was replayed on every engine request.
    expect(providers.requests.slice(before).map((r) => [r.api, r.model, r.toolCall ?? null])).toEqual([
      ["openai.chat", "gpt-4o-mini", "lookup"],
      ["anthropic.messages", "claude-3-5-haiku-latest", null],
    ]);
    expect(fns.kitToolRuns).toEqual(["MVCC"]);

    const steps = await h.fresh.db
      .select({ id: runSteps.stepId, status: runSteps.status, output: runSteps.output })
      .from(runSteps)
      .where(eq(runSteps.runId, runId));
    const llmSteps = steps
      .filter((s) => s.id.startsWith("agentkit:"))
      .map((s) => s.id)
      .sort();
    expect(llmSteps).toEqual(["agentkit:claude-3-5-haiku-latest:1", "agentkit:gpt-4o-mini:1"]);
    expect(steps.map((s) => s.id)).toContain("lookup");
    expect(steps.every((s) => s.status === "completed")).toBe(true);

    // One checkpoint per agent turn in the network.
    const cps = await h.checkpointsOf(runId, "agentkit");
    expect(
      cps.map((c) => [
        c.name,
        c.version,
        (c.state as { agent: string }).agent,
        (c.state as { callCount: number }).callCount,
      ]),
    ).toEqual([
      ["agentkit.agent", 1, "researcher", 1],
      ["agentkit.agent", 2, "writer", 2],
    ]);

    // Tokens: what the provider reported in each raw answer (the memoised step outputs) = what
    // wflo recorded; the first call also checked against the server's accounting directly.
    const raw = (id: string) => steps.find((s) => s.id === id)!.output as { usage: Record<string, number> };
    const calls = await h.callsOf(runId);
    expect(calls.map((c) => [c.stepId, c.agent, c.provider, c.status, c.priceSource, c.workflow])).toEqual([
      ["agentkit:gpt-4o-mini:1", "researcher", "openai", "ok", "catalogue", "test-agentkit"],
      ["agentkit:claude-3-5-haiku-latest:1", "writer", "anthropic", "ok", "catalogue", "test-agentkit"],
    ]);
    expect(calls[0]).toMatchObject({
      inputTokens: turns("You look terms up.", 'call tool lookup with {"term":"MVCC"}'),
      outputTokens: tok('lookup{"term":"MVCC"}'),
    });
    for (const c of calls) {
      const u = raw(c.stepId).usage;
      const reported =
        c.provider === "openai"
          ? { in: u.prompt_tokens, out: u.completion_tokens }
          : { in: u.input_tokens, out: u.output_tokens };
      expect({ in: c.inputTokens, out: c.outputTokens }).toEqual(reported);
      expect(c.costNano).toBe(price(c.model, reported.in!, reported.out!, c.provider));
    }
  }, 90_000);

  it("a run budget too small refuses the first model call before the provider sees it, and stops the run", async () => {
    await expectBudgetRefusal(h, providers, "test/agentkit", fns.kitToolRuns);
  }, 60_000);

  it("governs the built-in routing agent's calls too (an LLM picks the next agent)", async () => {
    const before = providers.requests.length;
    const { runId } = await h.completed("test/agentkit.routed");
    const sent = providers.requests.slice(before);
    // router -> writer -> router -> writer (maxIter 2) -> router: every request a governed call.
    expect(sent.map((r) => r.toolCall ?? null)).toEqual(["select_agent", null, "select_agent", null, "select_agent"]);
    const calls = await h.callsOf(runId);
    expect(calls.map((c) => [c.stepId, c.agent, c.status])).toEqual(
      ["Default routing agent", "writer", "Default routing agent", "writer", "Default routing agent"].map(
        (agent, i) => [`agentkit:gpt-4o-mini:${i + 1}`, agent, "ok"],
      ),
    );
    expect(calls.every((c) => c.inputTokens > 0 && c.outputTokens > 0 && c.costNano > 0n)).toBe(true);
  }, 60_000);

  it("runs a single Agent (Gemini format) with its call governed and its result checkpointed", async () => {
    const before = providers.requests.length;
    const { runId, run } = await h.completed("test/agentkit.agent");
    expect(providers.requests.slice(before).map((r) => [r.api, r.model])).toEqual([
      ["google.generate", "gemini-2.0-flash"],
    ]);
    expect(JSON.stringify(run.output)).toContain("Reply from gemini-2.0-flash: Explain vacuum.");
    const [call, ...more] = await h.callsOf(runId);
    expect(more).toEqual([]);
    // The server's accounting: system + user turns in, the reply out; Gemini 2.0 Flash at $0.10 / $0.40 per Mtok.
    const inTok = turns("Summarise in one line.", "Explain vacuum.");
    const outTok = tok("Reply from gemini-2.0-flash: Explain vacuum.");
    expect(call).toMatchObject({
      stepId: "agentkit:gemini-2.0-flash:1",
      agent: "summariser",
      provider: "google",
      status: "ok",
      inputTokens: inTok,
      outputTokens: outTok,
    });
    expect(call!.costNano).toBe(price("gemini-2.0-flash", inTok, outTok, "google"));
    const cps = await h.checkpointsOf(runId);
    expect(cps.map((c) => [c.name, c.version, (c.state as { agent: string }).agent])).toEqual([
      ["agentkit.agent", 1, "summariser"],
    ]);
  }, 60_000);

  it("a run retried after a crash replays the finished agent: no model call or tool is made or paid again", async () => {
    await expectReplayedAfterCrash(h, providers, "test/agentkit.retry", {
      toolRuns: fns.kitToolRuns,
      toolInput: "WAL",
      stepIds: ["agentkit:gpt-4o-mini:1", "agentkit:claude-3-5-haiku-latest:1"],
    });
  }, 60_000);

  it("detects AgentKit networks and agents by shape", async () => {
    const { adapterFor } = await import("./index");
    const net = fns.buildNetwork();
    expect(adapterFor(net).id).toBe("agentkit");
    expect(adapterFor(net.agents.get("writer")).id).toBe("agentkit");
    expect(() => adapterFor({ name: "n", agents: new Map() })).toThrow(
      /wflo cannot run a plain object: expected one of .*AgentKit/,
    );
  });
});
