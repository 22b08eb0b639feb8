import OpenAI from "openai";
import { asc, eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { llmCalls, runSteps } from "@/db/schema";
import { BudgetExceededError } from "@/server/governance";
import { countTokens } from "@/server/governance/estimate/tokens";
import { startProviderServer } from "@/server/governance/testing/provider-server";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";
import { providerUrls, wrappedTestFunctions } from "./testing/wrapped-functions";
import { wrapClient, WrappedCallError } from "./wrap-client";

/**
 * Wrapped clients on real parts: the real openai / @anthropic-ai/sdk / @google/genai clients,
 * pointed by baseURL (no env) at the local provider server, wrapped with `wflo.wrap` inside
 * workflows on the embedded engine; tokens and exact costs read back from `llm_calls`.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const providers = await startProviderServer();
afterAll(() => providers.close());
Object.assign(providerUrls, {
  openai: providers.openaiBaseUrl,
  anthropic: providers.anthropicBaseUrl,
  google: providers.googleBaseUrl,
});
const { h } = await openHarness(() => startRunsHarness({ extraFunctions: wrappedTestFunctions }), {});

const start = (name: string, envelope: Record<string, unknown> = {}) => h.start(name, { envelope });
const finished = (runId: string) => h.finished(runId);
const callsOf = (runId: string) =>
  h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.createdAt));

const tok = (s: string) => countTokens(s, "gpt-4o");
const reply = (model: string, text: string) => tok(`Reply from ${model}: ${text}`);

describe("wrapped provider clients in a workflow", () => {
  it("governs unchanged agent code on the three real SDKs: one durable step per call, exact tokens and costs", async () => {
    const before = providers.requests.length;
    const runId = await start("test/wrapped.agent");
    const run = await finished(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("completed");
    // Each call reached the provider exactly once, although the run was replayed after every step.
    expect(providers.requests.slice(before).map((r) => r.api)).toEqual([
      "openai.chat",
      "openai.chat",
      "openai.responses",
      "anthropic.messages",
      "google.generate",
    ]);
    expect(run.output).toEqual({
      chat: "Reply from gpt-4o-mini: Name one use of advisory locks.",
      again: "Reply from gpt-4o-mini: And another one.",
      responses: "Reply from gpt-4o-mini: Define MVCC.",
      anthropic: "Reply from claude-3-5-haiku-latest: Explain WAL in one line.",
      google: "Reply from gemini-2.0-flash: Explain vacuum.",
      after: "done",
    });

    const steps = await h.fresh.db
      .select({ id: runSteps.stepId, status: runSteps.status })
      .from(runSteps)
      .where(eq(runSteps.runId, runId));
    expect(steps.map((s) => s.id).sort()).toEqual([
      "after",
      "llm:claude-3-5-haiku-latest:1",
      "llm:gemini-2.0-flash:1",
      "llm:gpt-4o-mini:1",
      "llm:gpt-4o-mini:2",
      "llm:gpt-4o-mini:3",
    ]);
    expect(steps.every((s) => s.status === "completed")).toBe(true);

    const calls = await callsOf(runId);
    // The provider server's accounting: o200k tokens of each turn + 4 per turn; the reply echoes the prompt.
    const expected = [
      {
        step: "llm:gpt-4o-mini:1",
        provider: "openai",
        in: tok("Be brief.") + tok("Name one use of advisory locks.") + 8,
        out: reply("gpt-4o-mini", "Name one use of advisory locks."),
        rin: 150,
        rout: 600,
        agent: null,
      },
      {
        step: "llm:gpt-4o-mini:2",
        provider: "openai",
        in: tok("And another one.") + 4,
        out: reply("gpt-4o-mini", "And another one."),
        rin: 150,
        rout: 600,
        agent: null,
      },
      {
        step: "llm:gpt-4o-mini:3",
        provider: "openai",
        in: tok("Be brief.") + tok("Define MVCC.") + 8,
        out: reply("gpt-4o-mini", "Define MVCC."),
        rin: 150,
        rout: 600,
        agent: null,
      },
      {
        step: "llm:claude-3-5-haiku-latest:1",
        provider: "anthropic",
        in: tok("Be brief.") + tok("Explain WAL in one line.") + 8,
        out: reply("claude-3-5-haiku-latest", "Explain WAL in one line."),
        rin: 800,
        rout: 4000,
        agent: "writer",
      },
      {
        step: "llm:gemini-2.0-flash:1",
        provider: "google",
        in: tok("Explain vacuum.") + 4,
        out: reply("gemini-2.0-flash", "Explain vacuum."),
        rin: 100,
        rout: 400,
        agent: null,
      },
    ];
    expect(
      calls.map((c) => ({
        step: c.stepId,
        provider: c.provider,
        status: c.status,
        source: c.priceSource,
        in: c.inputTokens,
        out: c.outputTokens,
        agent: c.agent,
        workflow: c.workflow,
      })),
    ).toEqual(
      expected.map((e) => ({
        step: e.step,
        provider: e.provider,
        status: "ok",
        source: "catalogue",
        in: e.in,
        out: e.out,
        agent: e.agent,
        workflow: "test-wrapped-agent",
      })),
    );
    // Catalogue prices per million tokens: gpt-4o-mini $0.15/$0.60, claude 3.5 haiku $0.80/$4, gemini 2.0 flash $0.10/$0.40.
    expect(calls.map((c) => c.costNano)).toEqual(expected.map((e) => BigInt(e.in * e.rin + e.out * e.rout)));
  });

  it("a run budget too small refuses the first call before the provider sees it, and stops the run", async () => {
    const before = providers.requests.length;
    // 1,000 nano-dollars: below the worst case of 200 output tokens of gpt-4o-mini (120,000).
    const runId = await start("test/wrapped.agent", { budgetNano: "1000" });
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1);
    expect(run.error?.message).toMatch(/budget/i);
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);
  });

  it("refuses streaming calls instead of letting them through untracked", async () => {
    const before = providers.requests.length;
    const run = await finished(await start("test/wrapped.stream"));
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/streaming is not supported by wrapped clients/);
    expect(providers.requests.length).toBe(before);
  });
});

describe("wrapClient outside a workflow", () => {
  it("governs a plain async function's calls directly and throws BudgetExceededError with spentUsd/budgetUsd", async () => {
    const openai = new OpenAI({ apiKey: "sk-test-wrapped", baseURL: providers.openaiBaseUrl, maxRetries: 0 });
    const runId = `plain-${Date.now()}`;
    const ctx = { runId, workflow: "plain-script", db: h.fresh.db, perRunLimitNano: 200_000n };
    const client = wrapClient(openai, ctx);
    const res = await client.chat.completions.create({
      model: "gpt-4o-mini",
      max_tokens: 100,
      messages: [{ role: "user", content: "Hello there." }],
    });
    expect(res.choices[0]?.message.content).toBe("Reply from gpt-4o-mini: Hello there.");
    const [call] = await callsOf(runId);
    const inTok = tok("Hello there.") + 4;
    const outTok = reply("gpt-4o-mini", "Hello there.");
    expect(call).toMatchObject({
      stepId: "llm:gpt-4o-mini:1",
      workflow: "plain-script",
      inputTokens: inTok,
      outputTokens: outTok,
      costNano: BigInt(inTok * 150 + outTok * 600),
    });

    // What is left of 200,000 nano cannot hold a worst case of 1,000 output tokens (600,000): refused before the call.
    const before = providers.requests.length;
    const err = await client.chat.completions
      .create({ model: "gpt-4o-mini", max_tokens: 1000, messages: [{ role: "user", content: "More." }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    const b = err as BudgetExceededError;
    expect(b.budgetUsd).toBe(0.0002);
    expect(b.spentUsd).toBe((inTok * 150 + outTok * 600) / 1e9);
    expect(providers.requests.length).toBe(before);
    // Other methods are the client's own, untouched.
    expect(client.embeddings).toBe(openai.embeddings);
    expect(() => client.chat.completions.stream({ model: "gpt-4o-mini", messages: [] })).toThrow(WrappedCallError);
  });
});
