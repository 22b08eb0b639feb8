import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { reservations } from "@/db/schema";
import { startProviderServer } from "@/server/governance/testing/provider-server";
import { expectBudgetRefusal, openAdapterHarness, price, tok, turns } from "./testing/adapter-harness";

/**
 * The Vercel AI SDK adapter on real parts: real `ai` 6 generateText / streamText / ToolLoopAgent
 * with `@ai-sdk/openai` models (Chat Completions and Responses) run inside workflows on the
 * embedded engine against the local provider server (base URL passed in, no env); tokens and
 * exact catalogue costs read back from `llm_calls`.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

// A second provider server that streams slowly, for the test that cuts a stream short.
const slow = await startProviderServer({ streamGapMs: 100 });
afterAll(() => slow.close());
const { h, providers, fns } = await openAdapterHarness(async (providers) => {
  const fns = await import("./testing/ai-sdk-functions");
  fns.aiSdkProvider.baseURL = providers.openaiBaseUrl;
  fns.aiSdkProvider.slowBaseURL = slow.openaiBaseUrl;
  return { fns, functions: fns.aiSdkTestFunctions };
});

describe("Vercel AI SDK adapter", () => {
  const ask = 'call tool weather with {"city":"Paris"}';
  const callArgs = 'weather{"city":"Paris"}';

  it("runs a generateText tool loop as governed, durable steps with the provider's tokens and exact costs", async () => {
    const before = providers.requests.length;
    const toolsBefore = fns.toolRuns.length;
    const { runId, run } = await h.completed("test/ai-sdk.call");
    expect(run.output).toEqual({
      generated: {
        text: "Tool result: sunny in Paris",
        finishReason: "stop",
        steps: 2,
        toolCalls: [{ toolName: "weather", input: { city: "Paris" } }],
        toolResults: [{ toolName: "weather", output: "sunny in Paris" }],
        usage: {
          inputTokens: turns("Use the tool.", ask) + turns("Use the tool.", ask, callArgs, "sunny in Paris"),
          outputTokens: tok(callArgs) + tok("Tool result: sunny in Paris"),
        },
      },
      after: "done",
    });
    // The provider saw each call once (first a tool call, then the answer); the tool ran once.
    expect(providers.requests.slice(before).map((r) => [r.api, r.toolCall ?? null])).toEqual([
      ["openai.chat", "weather"],
      ["openai.chat", null],
    ]);
    expect(fns.toolRuns.slice(toolsBefore)).toEqual(["Paris"]);
    expect(await h.stepsOf(runId)).toEqual(
      [
        "after",
        "ai-sdk:gpt-4o-mini:1",
        "ai-sdk:gpt-4o-mini:2",
        "checkpoint:ai-sdk.turn:v1",
        "checkpoint:ai-sdk.turn:v2",
        "tool:weather:1",
      ].map((s) => `${s}=completed`),
    );

    const expected = [
      { step: "ai-sdk:gpt-4o-mini:1", in: turns("Use the tool.", ask), out: tok(callArgs) },
      {
        step: "ai-sdk:gpt-4o-mini:2",
        in: turns("Use the tool.", ask, callArgs, "sunny in Paris"),
        out: tok("Tool result: sunny in Paris"),
      },
    ];
    const calls = await h.callsOf(runId);
    expect(
      calls.map((c) => ({
        step: c.stepId,
        provider: c.provider,
        model: c.model,
        status: c.status,
        source: c.priceSource,
        in: c.inputTokens,
        out: c.outputTokens,
        workflow: c.workflow,
      })),
    ).toEqual(
      expected.map((e) => ({
        step: e.step,
        provider: "openai",
        model: "gpt-4o-mini",
        status: "ok",
        source: "catalogue",
        in: e.in,
        out: e.out,
        workflow: "test-ai-sdk-call",
      })),
    );
    expect(calls.map((c) => c.costNano)).toEqual(expected.map((e) => price("gpt-4o-mini", e.in, e.out)));

    // One checkpoint per model turn, with what the AI SDK itself read from the provider.
    const cps = await h.checkpointsOf(runId);
    expect(
      cps.map((c) => [
        c.name,
        c.version,
        (c.state as { finishReason: string }).finishReason,
        (c.state as { usage: unknown }).usage,
      ]),
    ).toEqual([
      ["ai-sdk.turn", 1, "tool-calls", { inputTokens: expected[0]!.in, outputTokens: expected[0]!.out }],
      ["ai-sdk.turn", 2, "stop", { inputTokens: expected[1]!.in, outputTokens: expected[1]!.out }],
    ]);
  }, 90_000);

  it("streams a ToolLoopAgent (Responses API) and a streamText call; a retry after a crash replays them without calling or paying again", async () => {
    const before = providers.requests.length;
    const toolsBefore = fns.toolRuns.length;
    const { runId, run } = await h.completed("test/ai-sdk.stream");
    const oslo = 'call tool weather with {"city":"Oslo"}';
    const osloArgs = 'weather{"city":"Oslo"}';
    const instr = "Forecast with the tool.";
    const expected = [
      {
        step: "ai-sdk:gpt-4o-mini:1",
        model: "gpt-4o-mini",
        agent: "forecaster",
        in: turns(instr, oslo),
        out: tok(osloArgs),
      },
      {
        step: "ai-sdk:gpt-4o-mini:2",
        model: "gpt-4o-mini",
        agent: "forecaster",
        in: turns(instr, oslo, osloArgs, "sunny in Oslo"),
        out: tok("Tool result: sunny in Oslo"),
      },
      {
        step: "ai-sdk:gpt-4o:1",
        model: "gpt-4o",
        agent: null,
        in: turns("Stream a haiku."),
        out: tok("Reply from gpt-4o: Stream a haiku."),
      },
    ];
    // Attempt 1 got the same answers from the memoised steps (the streams replayed from them).
    expect(run.output).toEqual({
      attempt: 1,
      streamed: {
        text: "Tool result: sunny in Oslo",
        finishReason: "stop",
        steps: 2,
        toolCalls: [{ toolName: "weather", input: { city: "Oslo" } }],
        toolResults: [{ toolName: "weather", output: "sunny in Oslo" }],
        usage: { inputTokens: expected[0]!.in + expected[1]!.in, outputTokens: expected[0]!.out + expected[1]!.out },
      },
      plain: {
        text: "Reply from gpt-4o: Stream a haiku.",
        finishReason: "stop",
        steps: 1,
        toolCalls: [],
        toolResults: [],
        usage: { inputTokens: expected[2]!.in, outputTokens: expected[2]!.out },
      },
    });
    expect(providers.requests.slice(before).map((r) => [r.api, r.stream, r.toolCall ?? null])).toEqual([
      ["openai.responses", true, "weather"],
      ["openai.responses", true, null],
      ["openai.chat", true, null],
    ]);
    expect(fns.toolRuns.slice(toolsBefore)).toEqual(["Oslo"]);
    const calls = await h.callsOf(runId);
    expect(
      calls.map((c) => ({
        step: c.stepId,
        model: c.model,
        agent: c.agent,
        status: c.status,
        in: c.inputTokens,
        out: c.outputTokens,
        cost: c.costNano,
      })),
    ).toEqual(
      expected.map((e) => ({
        step: e.step,
        model: e.model,
        agent: e.agent,
        status: "ok",
        in: e.in,
        out: e.out,
        cost: price(e.model, e.in, e.out),
      })),
    );
  }, 90_000);

  it("a stream the caller cuts short is cut upstream and still settles (no usage report: charged the reserved estimate)", async () => {
    const runId = await h.start("test/ai-sdk.cancel");
    const run = await h.finished(runId);
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ seen: ["stream-start", "response-metadata", "text-start", "text-delta"] });
    expect(slow.requests.map((r) => [r.api, r.stream])).toEqual([["openai.chat", true]]);
    expect(await h.stepsOf(runId)).toEqual(["ai-sdk:gpt-4o-mini:1=completed"]);
    const [call, ...more] = await h.callsOf(runId);
    expect(more).toEqual([]);
    expect(call).toMatchObject({ stepId: "ai-sdk:gpt-4o-mini:1", status: "ok", inputTokens: 0, outputTokens: 0 });
    expect(call!.error).toMatch(/usage unreadable, charged the estimate/);
    // The worst case reserved before the call: the prompt plus 300 output tokens at gpt-4o-mini's price.
    expect(call!.costNano).toBeGreaterThanOrEqual(price("gpt-4o-mini", 0, 300));
    const [reservation] = await h.fresh.db.select().from(reservations).where(eq(reservations.runId, runId));
    expect(reservation).toMatchObject({ status: "settled", amountNano: call!.costNano });
  }, 60_000);

  it("a run budget too small refuses the first model call before the provider sees it, and stops the run", async () => {
    // 1,000 nano-dollars: below the worst case of 200 output tokens of gpt-4o-mini (120,000).
    await expectBudgetRefusal(h, providers, "test/ai-sdk.call", fns.toolRuns);
  }, 60_000);

  it("detects AI SDK agents and calls by shape and names what it cannot run", async () => {
    const { adapterFor } = await import("./index");
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { ToolLoopAgent } = await import("ai");
    const model = createOpenAI({ apiKey: "x", baseURL: providers.openaiBaseUrl }).chat("gpt-4o-mini");
    expect(adapterFor(new ToolLoopAgent({ model })).id).toBe("ai-sdk");
    expect(adapterFor({ model, prompt: "hi" }).id).toBe("ai-sdk");
    // A model id string cannot be governed: not an AI SDK call.
    expect(() => adapterFor({ model: "openai/gpt-4o", prompt: "hi" })).toThrow(
      /wflo cannot run a plain object: expected one of .*Vercel AI SDK agent/,
    );
    const { aiSdkAdapter } = await import("./ai-sdk");
    const { UnsupportedTargetError } = await import("../framework");
    await expect(aiSdkAdapter.run(new ToolLoopAgent({ model: "openai/gpt-4o" }), "hi", {} as never)).rejects.toThrow(
      UnsupportedTargetError,
    );
    await expect(aiSdkAdapter.run({ model, prompt: "hi" }, 42, {} as never)).rejects.toThrow(/takes a prompt string/);
  });
});
