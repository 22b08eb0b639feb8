import { describe, expect, it, vi } from "vitest";
import {
  expectBudgetRefusal,
  expectReplayedAfterCrash,
  openAdapterHarness,
  price,
  tok,
  turns,
} from "./testing/adapter-harness";

/**
 * The Mastra adapter on real parts: a real `@mastra/core` Agent with an AI SDK OpenAI model and
 * a tool, run through the registry inside a workflow on the embedded engine against the local
 * provider server (base URL given to the model, no env); tokens and exact catalogue costs read
 * back from `llm_calls`.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, providers, fns } = await openAdapterHarness(async (providers) => {
  const fns = await import("./testing/mastra-functions");
  fns.mastraProvider.openai = providers.openaiBaseUrl;
  return { fns, functions: fns.mastraTestFunctions };
});

describe("Mastra adapter", () => {
  it("runs a real Mastra agent's tool loop as governed, durable steps with exact tokens and costs and a checkpoint per step", async () => {
    const before = providers.requests.length;
    const { runId, run } = await h.completed("test/mastra");
    const out = run.output as { out: { text: string; steps: number }; after: string };
    expect(out.after).toBe("done");
    expect(out.out.text).toMatch(/^Tool result: .*MVCC: multi-version concurrency control/);
    expect(out.out.steps).toBe(2);

    // Each call reached the provider once and the tool ran once, although the loop was replayed.
    expect(providers.requests.slice(before).map((r) => [r.api, r.model, r.toolCall ?? null])).toEqual([
      ["openai.chat", "gpt-4o-mini", "lookup"],
      ["openai.chat", "gpt-4o-mini", null],
    ]);
    expect(fns.mastraToolRuns).toEqual(["MVCC"]);

    expect(await h.stepsOf(runId)).toEqual(
      [
        "after",
        "checkpoint:mastra.step:v1",
        "checkpoint:mastra.step:v2",
        "mastra:gpt-4o-mini:1",
        "mastra:gpt-4o-mini:2",
        "tool:lookup:1",
      ].map((s) => `${s}=completed`),
    );

    const cps = await h.checkpointsOf(runId, "mastra");
    type Cp = { agent: string; finishReason: string; usage: { inputTokens: number; outputTokens: number } };
    expect(cps.map((c) => [c.version, (c.state as Cp).agent, (c.state as Cp).finishReason])).toEqual([
      [1, "Glossary", "tool-calls"],
      [2, "Glossary", "stop"],
    ]);

    const calls = await h.callsOf(runId);
    expect(calls.map((c) => [c.stepId, c.agent, c.provider, c.status, c.priceSource, c.workflow])).toEqual([
      ["mastra:gpt-4o-mini:1", "Glossary", "openai", "ok", "catalogue", "test-mastra"],
      ["mastra:gpt-4o-mini:2", "Glossary", "openai", "ok", "catalogue", "test-mastra"],
    ]);
    // The provider server's accounting for the first call, exactly; every call = what Mastra itself read from the provider.
    expect(calls[0]).toMatchObject({
      inputTokens: turns("Look terms up with the tool.", 'call tool lookup with {"term":"MVCC"}'),
      outputTokens: tok('lookup{"term":"MVCC"}'),
    });
    expect(calls.map((c) => ({ inputTokens: c.inputTokens, outputTokens: c.outputTokens }))).toEqual(
      cps.map((c) => (c.state as Cp).usage),
    );
    expect(calls.map((c) => c.costNano)).toEqual(calls.map((c) => price("gpt-4o-mini", c.inputTokens, c.outputTokens)));
  }, 90_000);

  it("a run budget too small refuses the first model call before the provider sees it, and stops the run", async () => {
    await expectBudgetRefusal(h, providers, "test/mastra", fns.mastraToolRuns);
  }, 60_000);

  it("a run retried after a crash replays the finished agent: no model call or tool is made or paid again", async () => {
    await expectReplayedAfterCrash(h, providers, "test/mastra.retry", {
      toolRuns: fns.mastraToolRuns,
      toolInput: "WAL",
      stepIds: ["mastra:gpt-4o-mini:1", "mastra:gpt-4o-mini:2"],
    });
  }, 60_000);

  it("refuses an agent with sub-agents (their calls would not be governed) before any call", async () => {
    const before = providers.requests.length;
    const runId = await h.start("test/mastra.subagent");
    const run = await h.finished(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /Mastra agent "Lead" has sub-agent "helper": their model calls would not be governed/,
    );
    // A refusal is final: the workflow allows 2 retries, none is spent on it.
    expect(run.attempts).toBe(1);
    expect(providers.requests.length).toBe(before);
    expect(await h.callsOf(runId)).toEqual([]);
  }, 60_000);

  it("detects Mastra agents by shape", async () => {
    const { adapterFor } = await import("./index");
    expect(adapterFor(fns.buildMastraAgent()).id).toBe("mastra");
    expect(() => adapterFor({ name: "a", id: "a", generate: () => null })).toThrow(
      /wflo cannot run a plain object: expected one of .*Mastra Agent/,
    );
  });
});
