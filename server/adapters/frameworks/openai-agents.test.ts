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
 * The OpenAI Agents SDK adapter on real parts: real `@openai/agents` agents (a tool round trip
 * on the Responses API, a handoff on Chat Completions) run inside a workflow on the embedded
 * engine against the local provider server (base URL passed to the adapter, no env); tokens
 * and exact catalogue costs read back from `llm_calls`.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, providers, fns } = await openAdapterHarness(async (providers) => {
  const fns = await import("./testing/openai-agents-functions");
  fns.agentsProvider.baseURL = providers.openaiBaseUrl;
  return { fns, functions: fns.openAIAgentsTestFunctions };
});

describe("OpenAI Agents SDK adapter", () => {
  it("runs a real agent's tool loop and a handoff as governed, durable steps with exact tokens and costs", async () => {
    const before = providers.requests.length;
    const { runId, run } = await h.completed("test/openai-agents");
    expect(run.output).toEqual({
      weather: { finalOutput: "Tool result: sunny in Paris", lastAgent: "Weather desk" },
      triaged: { finalOutput: 'Tool result: {"assistant":"Weather desk"}', lastAgent: "Weather desk" },
      after: "done",
    });
    // Each call reached the provider once and the tool ran once, although the agent loop was
    // replayed on every engine request.
    expect(providers.requests.slice(before).map((r) => [r.api, r.toolCall ?? null])).toEqual([
      ["openai.responses", "get_weather"],
      ["openai.responses", null],
      ["openai.chat", "transfer_to_Weather_desk"],
      ["openai.chat", null],
    ]);
    expect(fns.toolRuns).toEqual(["Paris"]);
    // Tracing is off for adapter runs: the SDK started no trace or span, so its exporter to OpenAI has nothing to send.
    expect(fns.tracedEvents).toEqual([]);

    expect(await h.stepsOf(runId)).toEqual(
      [
        "after",
        "llm:gpt-4o-mini:1",
        "llm:gpt-4o-mini:2",
        "llm:gpt-4o-mini:3",
        "llm:gpt-4o-mini:4",
        "tool:get_weather:1",
        ...[1, 2, 3, 4].map((v) => `checkpoint:openai-agents.turn:v${v}`),
      ]
        .sort()
        .map((s) => `${s}=completed`),
    );

    // One checkpoint per agent turn: who answered; the handoff shows as the transfer call.
    const cps = await h.checkpointsOf(runId);
    expect(cps.map((c) => [c.name, c.version, (c.state as { agent: string }).agent])).toEqual([
      ["openai-agents.turn", 1, "Weather desk"],
      ["openai-agents.turn", 2, "Weather desk"],
      ["openai-agents.turn", 3, "Triage"],
      ["openai-agents.turn", 4, "Weather desk"],
    ]);
    expect(JSON.stringify(cps[2]!.state)).toContain("transfer_to_Weather_desk");

    const deskInstr = "Answer weather questions with the tool.";
    const triageInstr = "Hand weather questions to the weather desk.";
    const ask = 'call tool get_weather with {"city":"Paris"}';
    const askTriage = "call tool transfer_to_Weather_desk with {}";
    const callArgs = 'get_weather{"city":"Paris"}';
    const handoffOut = '{"assistant":"Weather desk"}';
    const expected = [
      { step: "llm:gpt-4o-mini:1", agent: "Weather desk", in: turns(deskInstr, ask), out: tok(callArgs) },
      {
        step: "llm:gpt-4o-mini:2",
        agent: "Weather desk",
        in: turns(deskInstr, ask, callArgs, "sunny in Paris"),
        out: tok("Tool result: sunny in Paris"),
      },
      {
        step: "llm:gpt-4o-mini:3",
        agent: "Triage",
        in: turns(triageInstr, askTriage),
        out: tok("transfer_to_Weather_desk{}"),
      },
      {
        step: "llm:gpt-4o-mini:4",
        agent: "Weather desk",
        in: turns(deskInstr, askTriage, "transfer_to_Weather_desk{}", handoffOut),
        out: tok(`Tool result: ${handoffOut}`),
      },
    ];
    const calls = await h.callsOf(runId);
    expect(
      calls.map((c) => ({
        step: c.stepId,
        agent: c.agent,
        provider: c.provider,
        status: c.status,
        source: c.priceSource,
        in: c.inputTokens,
        out: c.outputTokens,
        workflow: c.workflow,
      })),
    ).toEqual(
      expected.map((e) => ({
        step: e.step,
        agent: e.agent,
        provider: "openai",
        status: "ok",
        source: "catalogue",
        in: e.in,
        out: e.out,
        workflow: "test-openai-agents",
      })),
    );
    expect(calls.map((c) => c.costNano)).toEqual(expected.map((e) => price("gpt-4o-mini", e.in, e.out)));
    // The same tokens the Agents SDK itself read from the provider's answers (kept in the checkpoints).
    expect(cps.map((c) => (c.state as { usage: { inputTokens: number; outputTokens: number } }).usage)).toEqual(
      expected.map((e) => ({ inputTokens: e.in, outputTokens: e.out })),
    );
  }, 90_000);

  it("a run budget too small refuses the first model call before the provider sees it, and stops the run", async () => {
    await expectBudgetRefusal(h, providers, "test/openai-agents", fns.toolRuns);
  }, 60_000);

  it("an agent used as a tool runs its nested run under the same governance", async () => {
    const before = providers.requests.length;
    const { runId, run } = await h.completed("test/openai-agents.nested");
    const sent = providers.requests.slice(before);
    const calls = await h.callsOf(runId);
    // Every request the provider saw is a governed, recorded call.
    expect(calls.length).toBe(sent.length);
    expect(sent.map((r) => r.toolCall ?? null)).toEqual(["ask_weather_desk", "get_weather", null, null]);
    expect(calls.map((c) => [c.stepId, c.status])).toEqual([1, 2, 3, 4].map((n) => [`llm:gpt-4o-mini:${n}`, "ok"]));
    expect(run.output).toMatchObject({ lastAgent: "Manager" });
    expect(JSON.stringify(run.output)).toContain("sunny in Rome");
    expect(fns.tracedEvents).toEqual([]);
  }, 60_000);

  it("a run retried after a crash replays the finished agent: no model call or tool is made or paid again", async () => {
    const run = await expectReplayedAfterCrash(h, providers, "test/openai-agents.retry", {
      toolRuns: fns.toolRuns,
      toolInput: "Oslo",
      stepIds: ["llm:gpt-4o-mini:1", "llm:gpt-4o-mini:2"],
    });
    expect(run.output).toEqual({ finalOutput: "Tool result: sunny in Oslo", lastAgent: "Weather desk" });
  }, 60_000);

  it("detects Agents SDK agents by shape and names what it cannot run", async () => {
    const { adapterFor } = await import("./index");
    expect(adapterFor(fns.triageAgent).id).toBe("openai-agents");
    expect(() => adapterFor({ name: "x", tools: [] })).toThrow(
      /wflo cannot run a plain object: expected one of .*OpenAI Agents SDK Agent/,
    );
    const { UnsupportedTargetError } = await import("../framework");
    expect(() => adapterFor(42)).toThrow(UnsupportedTargetError);
  });
});
