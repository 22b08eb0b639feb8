import { describe, expect, it, vi } from "vitest";
import { expectBudgetRefusal, openAdapterHarness, price, tok, turns } from "./testing/adapter-harness";

/**
 * The LangGraph.js adapter on real parts: real `@langchain/langgraph` graphs with
 * `@langchain/openai` chat models (tool calling, streaming) run inside workflows on the embedded
 * engine against the local provider server (base URL passed in, no env); tokens and exact
 * catalogue costs read back from `llm_calls`.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, providers, fns } = await openAdapterHarness(async (providers) => {
  const fns = await import("./testing/langgraph-functions");
  fns.langGraphProvider.baseURL = providers.openaiBaseUrl;
  return { fns, functions: fns.langGraphTestFunctions };
});

describe("LangGraph adapter", () => {
  const ask = 'call tool weather with {"city":"Paris"}';
  const callArgs = 'weather{"city":"Paris"}';

  it("runs a tool-calling graph one superstep per durable step; a crashed superstep resumes without re-running or re-paying finished nodes", async () => {
    const before = providers.requests.length;
    const toolsBefore = fns.toolRuns.length;
    fns.crashOnce.armed = true;
    const { runId, run } = await h.completed("test/langgraph.agent");
    const out = run.output as {
      out: { messages: { type: string; content: string; tool_calls?: unknown[] }[] };
      after: string;
    };
    expect(out.after).toBe("done");
    expect(out.out.messages.map((m) => [m.type, m.content, m.tool_calls?.length ?? 0])).toEqual([
      ["HumanMessage", ask, 0],
      ["AIMessage", "", 1],
      ["ToolMessage", "sunny in Paris", 0],
      ["AIMessage", "Tool result: sunny in Paris", 0],
    ]);
    // The tools node crashed once and was retried: the tool ran twice, but the agent node's
    // finished model call was not made again (two provider requests in all).
    expect(fns.toolRuns.slice(toolsBefore)).toEqual(["Paris", "Paris"]);
    expect(providers.requests.slice(before).map((r) => [r.api, r.toolCall ?? null])).toEqual([
      ["openai.chat", "weather"],
      ["openai.chat", null],
    ]);
    expect(await h.stepsOf(runId)).toEqual(
      [
        "after",
        ...[1, 2, 3].map((v) => `checkpoint:langgraph.node:v${v}`),
        "langgraph:1",
        "langgraph:2",
        "langgraph:3",
      ].map((s) => `${s}=completed`),
    );

    const expected = [
      { step: "langgraph:1:gpt-4o-mini:1", in: turns(ask), out: tok(callArgs) },
      {
        step: "langgraph:3:gpt-4o-mini:1",
        in: turns(ask, callArgs, "sunny in Paris"),
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
        workflow: "test-langgraph-agent",
      })),
    );
    expect(calls.map((c) => c.costNano)).toEqual(expected.map((e) => price("gpt-4o-mini", e.in, e.out)));

    // One checkpoint per node run, with the node's update.
    const cps = await h.checkpointsOf(runId);
    expect(
      cps.map((c) => [
        c.name,
        c.version,
        (c.state as { node: string }).node,
        (c.state as { superstep: number }).superstep,
      ]),
    ).toEqual([
      ["langgraph.node", 1, "agent", 1],
      ["langgraph.node", 2, "tools", 2],
      ["langgraph.node", 3, "agent", 3],
    ]);
    expect(cps[1]!.state).toMatchObject({
      update: { messages: [{ type: "ToolMessage", content: "sunny in Paris", name: "weather" }] },
    });
  }, 90_000);

  it("stream mode streams the model call from the provider and returns every node's update", async () => {
    const before = providers.requests.length;
    const runId = await h.start("test/langgraph.stream");
    const run = await h.finished(runId);
    expect(run.error).toBeNull();
    const reply = "Reply from gpt-4o: Stream a haiku.";
    expect(run.output).toEqual({
      values: {
        messages: [
          { type: "HumanMessage", content: "Stream a haiku." },
          { type: "AIMessage", content: reply },
        ],
      },
      updates: [{ node: "chat", update: { messages: [{ type: "AIMessage", content: reply }] } }],
    });
    expect(providers.requests.slice(before)).toEqual([{ api: "openai.chat", model: "gpt-4o", stream: true }]);
    const calls = await h.callsOf(runId);
    const inTok = turns("Stream a haiku.");
    expect(calls.map((c) => [c.stepId, c.status, c.inputTokens, c.outputTokens, c.costNano])).toEqual([
      ["langgraph:1:gpt-4o:1", "ok", inTok, tok(reply), price("gpt-4o", inTok, tok(reply))],
    ]);
  }, 90_000);

  it("a run budget too small refuses the first model call before the provider sees it, and stops the run", async () => {
    // 1,000 nano-dollars: below the worst case of 200 output tokens of gpt-4o-mini (120,000).
    const run = await expectBudgetRefusal(h, providers, "test/langgraph.agent", fns.toolRuns);
    expect(run.attempts).toBe(1);
  }, 60_000);

  it("detects compiled graphs by shape and names what it cannot run", async () => {
    const { adapterFor } = await import("./index");
    expect(adapterFor(fns.agentGraph()).id).toBe("langgraph");
    const { StateGraph, MessagesAnnotation } = await import("@langchain/langgraph");
    // An uncompiled builder is not a graph wflo can run.
    expect(() => adapterFor(new StateGraph(MessagesAnnotation))).toThrow(
      /wflo cannot run an object of class StateGraph: expected one of .*LangGraph/,
    );
    const { langGraph } = await import("./langgraph");
    await expect(langGraph.run(fns.agentGraph(), undefined, {} as never)).rejects.toThrow(/needs the graph's input/);
  });
});

describe("WfloCallbackHandler on its own (plain LangChain, no workflow)", () => {
  it("records a chat model call with the provider's tokens, and refuses one over budget before the request", async () => {
    const { ChatOpenAI } = await import("@langchain/openai");
    const { WfloCallbackHandler } = await import("./langchain-callbacks");
    const { BudgetExceededError } = await import("@/server/governance");
    const model = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "sk-test",
      configuration: { baseURL: providers.openaiBaseUrl },
      maxTokens: 100,
      maxRetries: 0,
    });
    const runId = `lc-plain-${Date.now()}`;
    const handler = new WfloCallbackHandler({
      runId,
      workflow: "plain-langchain",
      stepPrefix: "chain",
      perRunLimitNano: 200_000n,
      db: h.fresh.db,
    });
    const res = await model.invoke("Hello there.", { callbacks: [handler] });
    expect(res.content).toBe("Reply from gpt-4o-mini: Hello there.");
    const inTok = turns("Hello there.");
    const outTok = tok("Reply from gpt-4o-mini: Hello there.");
    expect(
      (await h.callsOf(runId)).map((c) => [c.stepId, c.workflow, c.inputTokens, c.outputTokens, c.costNano]),
    ).toEqual([["chain:gpt-4o-mini:1", "plain-langchain", inTok, outTok, price("gpt-4o-mini", inTok, outTok)]]);

    // What is left of 200,000 nano cannot hold a worst case of 1,000 output tokens (600,000).
    const before = providers.requests.length;
    const big = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "sk-test",
      configuration: { baseURL: providers.openaiBaseUrl },
      maxTokens: 1000,
      maxRetries: 0,
    });
    await expect(big.invoke("More.", { callbacks: [handler] })).rejects.toBeInstanceOf(BudgetExceededError);
    expect(providers.requests.length).toBe(before);
    expect(await h.callsOf(runId)).toHaveLength(1);
  });
});
