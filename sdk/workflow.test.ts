import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import OpenAI from "openai";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { runs, stateSnapshots } from "@/db/schema";
import { BudgetExceededError as GovernanceBudgetExceededError } from "@/server/governance";
import { countTokens } from "@/server/governance/estimate/tokens";
import { engineOnlyForSuite } from "./testing/engine-only";
import { getRun } from "@/server/runs/queries";
import { buildSdkBundle } from "./testing/build-bundle";
import {
  BudgetExceededError,
  ExecutionDetachedError,
  NonRetriableError,
  UnsupportedTargetError,
  WfloOptionsError,
  WfloWorkflow,
  WorkflowRunError,
  checkpoint,
  trackLlmCall,
  type WfloTools,
} from "./index";

/**
 * The SDK on real parts: a fresh PostgreSQL, the embedded engine (retries 300 ms apart, so a
 * "crashed" caller has time to come back), the SDK's own serve handler synced to it, wflo's
 * middleware recording everything, and the real openai client against the local provider
 * server. Tokens and costs are read back from what was recorded.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const env = engineOnlyForSuite();

const MODEL = "gpt-4o-mini";
const tok = (s: string) => countTokens(s, "gpt-4o");
/** The provider server's accounting for one user message, and gpt-4o-mini's catalogue price ($0.15 / $0.60 per Mtok = 150 / 600 nano per token). */
const usageOf = (prompt: string) => ({ in: tok(prompt) + 4, out: tok(`Reply from ${MODEL}: ${prompt}`) });
const costOf = (prompt: string) => BigInt(usageOf(prompt).in * 150 + usageOf(prompt).out * 600);

/** Every prompt that reached the provider, in order (the provider server records the API and model only). */
const sentPrompts: string[] = [];

function agentParts(counters: { research: number } = { research: 0 }) {
  const openai = new OpenAI({ apiKey: "sk-test-sdk", baseURL: env.providers.openaiBaseUrl, maxRetries: 0 });
  const ask = trackLlmCall({ model: MODEL, maxOutputTokens: 200 }, async (prompt: string) => {
    sentPrompts.push(prompt);
    return openai.chat.completions.create({
      model: MODEL,
      max_tokens: 200,
      messages: [{ role: "user", content: prompt }],
    });
  });
  const research = checkpoint("research_complete", async (topic: string) => {
    counters.research++;
    const r = await ask(`Research ${topic}`);
    return { topic, notes: r.choices[0]?.message.content ?? "" };
  });
  const summarise = checkpoint("summary_complete", async (notes: string) => {
    const r = await ask(`Summarise ${notes}`);
    return { summary: r.choices[0]?.message.content ?? "" };
  });
  return { ask, research, summarise, counters };
}

const eventCount = async () =>
  (await env.fresh.db.execute<{ n: number }>(sql`select count(*)::int as n from engine_events`))[0]?.n ?? 0;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

describe("WfloWorkflow.execute with a function target", () => {
  it("runs on the engine, recorded in the control panel, with checkpoints, tracked calls and an exact cost breakdown", async () => {
    const { research, summarise } = agentParts();
    async function researchAgent(inputs: { topic: string }, wflo: WfloTools) {
      const r = await research(inputs.topic);
      const s = await summarise(r.notes);
      // The run's own tools are there too: a plain durable step.
      const words = await wflo.checkpoint("counted", { words: s.summary.split(" ").length });
      return { summary: s.summary, words: words.words };
    }
    const workflow = new WfloWorkflow({ name: "sdk-research", budgetUsd: 2 });
    expect(workflow.executionId).toBeUndefined();
    const before = sentPrompts.length;
    const result = await workflow.execute(researchAgent, { topic: "MVCC" });

    const notes = `Reply from ${MODEL}: Research MVCC`;
    const summary = `Reply from ${MODEL}: Summarise ${notes}`;
    expect(result).toEqual({ summary, words: summary.split(" ").length });
    // Each call reached the provider once, although the run was replayed after every step.
    expect(sentPrompts.slice(before)).toEqual(["Research MVCC", `Summarise ${notes}`]);

    const runId = workflow.executionId!;
    expect(runId).toEqual(expect.any(String));
    // The control panel's own view of the run.
    const admin = {
      id: "00000000-0000-4000-8000-0000000000ad",
      email: "admin@example.com",
      name: "Admin",
      role: "admin" as const,
    };
    const page = await getRun(env.fresh.db, admin, runId);
    expect(page.run).toMatchObject({
      workflowId: "sdk-research",
      status: "completed",
      input: { topic: "MVCC" },
      output: result,
    });
    expect(page.steps.map((s) => s.stepId).sort()).toEqual(
      [
        "checkpoint:counted:v1",
        "checkpoint:research_complete:v1",
        "checkpoint:summary_complete:v1",
        "research_complete",
        "summary_complete",
      ].sort(),
    );
    expect(page.steps.every((s) => s.status === "completed")).toBe(true);
    const snaps = await env.fresh.db
      .select({ name: stateSnapshots.name, version: stateSnapshots.version, state: stateSnapshots.state })
      .from(stateSnapshots)
      .where(eq(stateSnapshots.runId, runId));
    expect(snaps).toHaveLength(3);

    // Recorded LLM calls: tokens the provider reported, catalogue cost, under the checkpoint that made them.
    const calls = await env.callsOf(runId);
    expect(
      calls.map((c) => ({
        step: c.stepId,
        model: c.model,
        status: c.status,
        in: c.inputTokens,
        out: c.outputTokens,
        cost: c.costNano,
        workflow: c.workflow,
      })),
    ).toEqual([
      {
        step: "checkpoint:research_complete:1/track:gpt-4o-mini:1",
        model: MODEL,
        status: "ok",
        in: usageOf("Research MVCC").in,
        out: usageOf("Research MVCC").out,
        cost: costOf("Research MVCC"),
        workflow: "sdk-research",
      },
      {
        step: "checkpoint:summary_complete:1/track:gpt-4o-mini:1",
        model: MODEL,
        status: "ok",
        in: usageOf(`Summarise ${notes}`).in,
        out: usageOf(`Summarise ${notes}`).out,
        cost: costOf(`Summarise ${notes}`),
        workflow: "sdk-research",
      },
    ]);

    const total = costOf("Research MVCC") + costOf(`Summarise ${notes}`);
    const b = await workflow.getCostBreakdown();
    expect(b).toMatchObject({
      executionId: runId,
      totalNano: total,
      budgetNano: 2_000_000_000n,
      remainingNano: 2_000_000_000n - total,
      exceeded: false,
      calls: 2,
      failedCalls: 0,
    });
    expect(b.totalUsd).toBeCloseTo(Number(total) / 1e9, 12);
    expect(b.budgetUsd).toBe(2);
    expect(b.remainingUsd).toBeCloseTo(2 - Number(total) / 1e9, 12);
    expect(b.byModel).toEqual([
      {
        provider: "openai",
        model: MODEL,
        calls: 2,
        inputTokens: usageOf("Research MVCC").in + usageOf(`Summarise ${notes}`).in,
        outputTokens: usageOf("Research MVCC").out + usageOf(`Summarise ${notes}`).out,
        costNano: total,
        costUsd: Number(total) / 1e9,
      },
    ]);
    expect(b.byStep.map((s) => [s.stepId, s.costNano]).sort()).toEqual(calls.map((c) => [c.stepId, c.costNano]).sort());

    // rollbackToCheckpoint: the state saved there.
    expect(await workflow.rollbackToCheckpoint("research_complete")).toEqual({ topic: "MVCC", notes });
    expect(await workflow.rollbackToCheckpoint("counted")).toEqual({ words: summary.split(" ").length });
    const missing = await rejection(workflow.rollbackToCheckpoint("nope"));
    expect(missing).toBeInstanceOf(WfloOptionsError);
    expect(missing.message).toMatch(/has no checkpoint "nope"; it has .*"research_complete"/);
  }, 60_000);

  it("a tracked call outside any checkpoint is its own durable step track:<model>:<n>", async () => {
    const { ask } = agentParts();
    const workflow = new WfloWorkflow({ name: "sdk-direct" });
    const out = await workflow.execute(
      async ({ q }: { q: string }) => {
        const a = await ask(q);
        const b = await ask(`${q} again`);
        return [a.choices[0]?.message.content, b.choices[0]?.message.content];
      },
      { q: "Define WAL" },
    );
    expect(out).toEqual([`Reply from ${MODEL}: Define WAL`, `Reply from ${MODEL}: Define WAL again`]);
    const calls = await env.callsOf(workflow.executionId!);
    expect(calls.map((c) => [c.stepId, c.costNano])).toEqual([
      ["track:gpt-4o-mini:1", costOf("Define WAL")],
      ["track:gpt-4o-mini:2", costOf("Define WAL again")],
    ]);
    // No budget given: none applies.
    expect(await workflow.getCostBreakdown()).toMatchObject({
      budgetUsd: null,
      remainingUsd: null,
      totalNano: costOf("Define WAL") + costOf("Define WAL again"),
    });
  }, 60_000);
});

describe("WfloWorkflow.execute with a framework target", () => {
  it("runs an AI SDK ToolLoopAgent through its adapter: governed model calls, turn checkpoints, cost breakdown", async () => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const { ToolLoopAgent } = await import("ai");
    const agent = new ToolLoopAgent({
      model: createOpenAI({ apiKey: "sk-test-sdk", baseURL: env.providers.openaiBaseUrl }).chat(MODEL),
      instructions: "Be brief.",
      maxOutputTokens: 100,
    });
    const workflow = new WfloWorkflow({ name: "sdk-ai-sdk", budgetUsd: 1 });
    const requests = env.providers.requests.length;
    const out = await workflow.execute(agent, { prompt: "Define MVCC." });
    expect(out).toMatchObject({ text: `Reply from ${MODEL}: Define MVCC.`, finishReason: "stop" });
    expect(env.providers.requests.length).toBe(requests + 1);
    const calls = await env.callsOf(workflow.executionId!);
    expect(calls.map((c) => [c.stepId, c.model, c.status])).toEqual([[`ai-sdk:${MODEL}:1`, MODEL, "ok"]]);
    const b = await workflow.getCostBreakdown();
    expect(b.totalNano).toBe(BigInt(calls[0]!.inputTokens * 150 + calls[0]!.outputTokens * 600));
    expect(b.byStep.map((s) => s.stepId)).toEqual([`ai-sdk:${MODEL}:1`]);
    expect(await workflow.rollbackToCheckpoint("ai-sdk.turn")).toMatchObject({ finishReason: "stop" });
  }, 60_000);
});

describe("budgets", () => {
  it("stops the run before the call it cannot afford: execute rejects with BudgetExceededError (spentUsd, budgetUsd) and the provider sees nothing more", async () => {
    const openai = new OpenAI({ apiKey: "sk-test-sdk", baseURL: env.providers.openaiBaseUrl, maxRetries: 0 });
    const small = trackLlmCall({ model: MODEL, maxOutputTokens: 50 }, (p: string) => {
      sentPrompts.push(p);
      return openai.chat.completions.create({ model: MODEL, max_tokens: 50, messages: [{ role: "user", content: p }] });
    });
    const big = trackLlmCall({ model: MODEL, maxOutputTokens: 1000 }, (p: string) => {
      sentPrompts.push(p);
      return openai.chat.completions.create({
        model: MODEL,
        max_tokens: 1000,
        messages: [{ role: "user", content: p }],
      });
    });
    // $0.0005: the first call's worst case (50 output tokens) fits; the second's (1,000 tokens, $0.0006) cannot.
    const workflow = new WfloWorkflow({ name: "sdk-budget", budgetUsd: 0.0005 });
    const before = sentPrompts.length;
    const err = await rejection(
      workflow.execute(async () => {
        await small("Short question");
        await big("Long essay please");
        return "unreachable";
      }),
    );
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect(err).toBeInstanceOf(GovernanceBudgetExceededError);
    const be = err as BudgetExceededError;
    expect(be.executionId).toBe(workflow.executionId);
    expect(be.spentNano).toBe(costOf("Short question"));
    expect(be.spentUsd).toBe(Number(costOf("Short question")) / 1e9);
    expect(be.budgetUsd).toBe(0.0005);
    expect(be.limitNano).toBe(500_000n);
    expect(be.spentNano + be.requestedNano).toBeGreaterThan(be.limitNano);
    expect(be.stepId).toBe("track:gpt-4o-mini:2");
    expect(sentPrompts.slice(before)).toEqual(["Short question"]);
    expect((await env.callsOf(workflow.executionId!)).map((c) => c.stepId)).toEqual(["track:gpt-4o-mini:1"]);
    const [run] = await env.fresh.db.select().from(runs).where(eq(runs.id, workflow.executionId!));
    expect(run).toMatchObject({ status: "failed", attempts: 1 });
    expect(await workflow.getCostBreakdown()).toMatchObject({
      totalNano: costOf("Short question"),
      budgetNano: 500_000n,
      exceeded: false,
    });
  }, 60_000);
});

describe("durability", () => {
  it("after the calling process dies mid-run, execute with its executionId resumes the same run: finished steps are not re-run or paid again", async () => {
    const parts = agentParts();
    let hung = false;
    async function firstProcess(inputs: { topic: string }) {
      await parts.research(inputs.topic);
      // The process "dies" here: its work stops and (on abort below) its server goes away.
      hung = true;
      return new Promise<never>(() => {});
    }
    async function agent(inputs: { topic: string }) {
      const r = await parts.research(inputs.topic);
      const s = await parts.summarise(r.notes);
      return s.summary;
    }
    const before = sentPrompts.length;
    const a = new WfloWorkflow({ name: "sdk-resume", budgetUsd: 1, retries: 20 });
    const abort = new AbortController();
    const first = a.execute(firstProcess, { topic: "vacuum" }, { signal: abort.signal });
    await vi.waitFor(() => expect(hung).toBe(true), { timeout: 30_000, interval: 50 });
    abort.abort();
    const detached = await rejection(first);
    expect(detached).toBeInstanceOf(ExecutionDetachedError);
    const runId = a.executionId!;
    expect(detached.message).toContain(runId);
    expect(
      await env.fresh.db
        .select({ name: stateSnapshots.name })
        .from(stateSnapshots)
        .where(eq(stateSnapshots.runId, runId)),
    ).toEqual([{ name: "research_complete" }]);

    // A new process (a new WfloWorkflow, a new serve handler on a new port) attaches to the run.
    const b = new WfloWorkflow({ name: "sdk-resume", budgetUsd: 1, retries: 20 });
    const notes = `Reply from ${MODEL}: Research vacuum`;
    expect(await b.execute(agent, { topic: "vacuum" }, { executionId: runId })).toBe(
      `Reply from ${MODEL}: Summarise ${notes}`,
    );
    expect(b.executionId).toBe(runId);

    // The research checkpoint's function ran once and its call was made and paid once.
    expect(parts.counters.research).toBe(1);
    expect(sentPrompts.slice(before)).toEqual(["Research vacuum", `Summarise ${notes}`]);
    const calls = await env.callsOf(runId);
    expect(calls.map((c) => [c.stepId, c.costNano])).toEqual([
      ["checkpoint:research_complete:1/track:gpt-4o-mini:1", costOf("Research vacuum")],
      ["checkpoint:summary_complete:1/track:gpt-4o-mini:1", costOf(`Summarise ${notes}`)],
    ]);
    expect((await b.getCostBreakdown()).totalNano).toBe(costOf("Research vacuum") + costOf(`Summarise ${notes}`));
    const [run] = await env.fresh.db.select().from(runs).where(eq(runs.id, runId));
    expect(run?.status).toBe("completed");
    expect((await env.fresh.db.select().from(runs).where(eq(runs.workflowId, "sdk-resume"))).length).toBe(1);

    // Attaching to a finished run returns its output without running anything.
    const c = new WfloWorkflow({ name: "sdk-resume" });
    expect(await c.execute(agent, { topic: "vacuum" }, { executionId: runId })).toBe(
      `Reply from ${MODEL}: Summarise ${notes}`,
    );
    expect(sentPrompts.length).toBe(before + 2);
  }, 90_000);

  it("a target that throws after its first checkpoint is retried from there: the checkpoint's call is not made or paid again", async () => {
    const parts = agentParts();
    let thrown = false;
    const workflow = new WfloWorkflow({ name: "sdk-retry", retries: 2 });
    const before = sentPrompts.length;
    const out = await workflow.execute(
      async (inputs: { topic: string }) => {
        const r = await parts.research(inputs.topic);
        if (!thrown) {
          thrown = true;
          throw new Error("transient failure after the checkpoint");
        }
        return (await parts.summarise(r.notes)).summary;
      },
      { topic: "locks" },
    );
    expect(out).toBe(`Reply from ${MODEL}: Summarise Reply from ${MODEL}: Research locks`);
    expect(parts.counters.research).toBe(1);
    expect(sentPrompts.slice(before)).toEqual(["Research locks", `Summarise Reply from ${MODEL}: Research locks`]);
    expect(await env.callsOf(workflow.executionId!)).toHaveLength(2);
    const [run] = await env.fresh.db.select().from(runs).where(eq(runs.id, workflow.executionId!));
    expect(run?.attempts).toBeGreaterThan(1);
  }, 60_000);

  it("a crash inside a checkpoint after its call settled: the retried checkpoint gets the call back from its stored result, not called or paid again", async () => {
    const { ask } = agentParts();
    let attempts = 0;
    const draft = checkpoint("draft", async (topic: string) => {
      attempts++;
      const r = await ask(`Draft ${topic}`);
      if (attempts === 1) throw new Error("crashed inside the checkpoint, after the call");
      return r.choices[0]?.message.content ?? "";
    });
    const workflow = new WfloWorkflow({ name: "sdk-inline-replay", retries: 2 });
    const before = sentPrompts.length;
    expect(await workflow.execute(async ({ topic }: { topic: string }) => draft(topic), { topic: "indexes" })).toBe(
      `Reply from ${MODEL}: Draft indexes`,
    );
    expect(attempts).toBe(2);
    expect(sentPrompts.slice(before)).toEqual(["Draft indexes"]);
    const calls = await env.callsOf(workflow.executionId!);
    expect(calls.map((c) => [c.stepId, c.status, c.costNano])).toEqual([
      ["checkpoint:draft:1/track:gpt-4o-mini:1", "ok", costOf("Draft indexes")],
    ]);
    expect((await workflow.getCostBreakdown()).totalNano).toBe(costOf("Draft indexes"));
  }, 60_000);

  it("the same idempotency key starts one run: a second execute attaches to it", async () => {
    let ran = 0;
    const target = async ({ n }: { n: number }) => {
      ran++;
      return n * 2;
    };
    const a = new WfloWorkflow({ name: "sdk-idem" });
    expect(await a.execute(target, { n: 21 }, { idempotencyKey: "order-17" })).toBe(42);
    const b = new WfloWorkflow({ name: "sdk-idem" });
    expect(await b.execute(target, { n: 21 }, { idempotencyKey: "order-17" })).toBe(42);
    expect(b.executionId).toBe(a.executionId);
    expect(ran).toBe(1);
  }, 60_000);
});

describe("errors", () => {
  it("a failed run rejects with WorkflowRunError naming the run and its error", async () => {
    const workflow = new WfloWorkflow({ name: "sdk-fail" });
    const err = await rejection(
      workflow.execute(async () => {
        throw new NonRetriableError("the agent gave up");
      }),
    );
    expect(err).toBeInstanceOf(WorkflowRunError);
    expect(err.message).toBe(
      `run ${workflow.executionId} of workflow "sdk-fail" failed: NonRetriableError: the agent gave up`,
    );
  }, 60_000);

  it("refuses an unsupported target before starting anything", async () => {
    const workflow = new WfloWorkflow({ name: "sdk-unsupported" });
    const events = await eventCount();
    for (const [target, what] of [
      [{ invoke: 1 }, "a plain object"],
      [42, "a number"],
      [null, "null"],
    ] as const) {
      const err = await rejection(workflow.execute(target, {}));
      expect(err).toBeInstanceOf(UnsupportedTargetError);
      expect(err.message).toMatch(
        new RegExp(`^wflo cannot run ${what}: expected one of .*an async function \\(inputs, wflo\\) => result`),
      );
    }
    expect(await eventCount()).toBe(events);
    expect(workflow.executionId).toBeUndefined();
  });

  it("refuses bad options and arguments with the field and the rule", async () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(WfloOptionsError);
        return (e as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(bad(() => new WfloWorkflow({ name: "" }))).toBe('name: a workflow needs a name, such as "my-workflow"');
    expect(bad(() => new WfloWorkflow({ name: "has space" }))).toMatch(/^name: "has space" must be 1-64 letters/);
    expect(bad(() => new WfloWorkflow({ name: "hello" }))).toMatch(
      /^name: "hello" is one of the control panel's own workflows/,
    );
    expect(bad(() => new WfloWorkflow({ name: "ok", budgetUsd: -1 }))).toBe(
      "budgetUsd: must be a positive number of US dollars (got -1)",
    );
    expect(bad(() => new WfloWorkflow({ name: "ok", budgetUsd: Number.NaN }))).toMatch(
      /^budgetUsd: must be a positive number/,
    );
    expect(bad(() => new WfloWorkflow({ name: "ok", retries: 21 }))).toMatch(
      /^retries: must be a whole number from 0 to 20/,
    );
    expect(bad(() => trackLlmCall({ model: " " }, async () => null))).toMatch(
      /^trackLlmCall: options.model must name the model/,
    );
    expect(bad(() => checkpoint("no spaces allowed", async () => null))).toMatch(
      /^checkpoint: name "no spaces allowed" must be/,
    );

    const workflow = new WfloWorkflow({ name: "sdk-bad-args" });
    expect((await rejection(workflow.getCostBreakdown())).message).toBe(
      "getCostBreakdown: this workflow has no run yet; call execute(...) first",
    );
    expect((await rejection(workflow.rollbackToCheckpoint("x"))).message).toBe(
      "rollbackToCheckpoint: this workflow has no run yet; call execute(...) first",
    );
    expect((await rejection(workflow.execute(async () => 1, ["not", "an", "object"] as never))).message).toMatch(
      /^inputs: must be a plain object/,
    );
    expect((await rejection(workflow.execute(async () => 1, {}, { executionId: "nope" }))).message).toBe(
      "executionId: no run with id nope",
    );
  });

  it("outside a run, the wrappers call the function as it is", async () => {
    const tracked = trackLlmCall({ model: MODEL }, async (x: number) => x + 1);
    const saved = checkpoint("plain", async (x: number) => x * 2);
    expect(await tracked(1)).toBe(2);
    expect(await saved(4)).toBe(8);
  });
});

describe("a standalone script", () => {
  it("examples/sdk-quickstart.ts imports wflo/sdk and runs in its own process with only the database URL and the engine port", async () => {
    // `wflo/sdk` is the dist bundle: build it from these sources, never test a stale one.
    await buildSdkBundle();
    const {
      INNGEST_BASE_URL: _b,
      INNGEST_DEV: _d,
      INNGEST_SIGNING_KEY: _s,
      INNGEST_EVENT_KEY: _e,
      ...rest
    } = process.env;
    const scriptEnv: NodeJS.ProcessEnv = {
      ...rest,
      NODE_ENV: "production",
      DATABASE_URL: env.fresh.url,
      WFLO_ENGINE_PORT: process.env.WFLO_ENGINE_PORT,
      OPENAI_BASE_URL: env.providers.openaiBaseUrl,
      OPENAI_API_KEY: "sk-test-script",
      WFLO_LOG_LEVEL: "error",
    };
    const root = path.resolve(import.meta.dirname, "..");
    const before = sentPrompts.length;
    const requests = env.providers.requests.length;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", path.join(root, "examples", "sdk-quickstart.ts"), "B-trees"],
      { cwd: root, env: scriptEnv, timeout: 90_000 },
    );
    const runId = /^Execution: (\S+)$/m.exec(stdout)?.[1];
    expect(runId, stdout).toBeDefined();
    const facts = `Reply from ${MODEL}: List three key facts about B-trees.`;
    expect(stdout).toContain(`Summary: Reply from ${MODEL}: Write a two-sentence summary of B-trees from these facts:`);
    expect(stdout).toContain("Budget: $0.05");
    expect(stdout).toContain(`Checkpoint research_complete: ${facts.slice(0, 80)}`);
    // The script's two calls, once each, recorded against its run in the panel's database.
    expect(sentPrompts.length).toBe(before);
    expect(env.providers.requests.length).toBe(requests + 2);
    const [run] = await env.fresh.db.select().from(runs).where(eq(runs.id, runId!));
    expect(run).toMatchObject({ workflowId: "sdk-quickstart", status: "completed" });
    const calls = await env.callsOf(runId!);
    expect(calls.map((c) => c.stepId)).toEqual([
      "checkpoint:research_complete:1/track:gpt-4o-mini:1",
      "checkpoint:synthesis_complete:1/track:gpt-4o-mini:1",
    ]);
    const total = calls.reduce((t, c) => t + c.costNano, 0n);
    expect(stdout).toContain(`Total: $${(Number(total) / 1e9).toFixed(6)}`);
  }, 120_000);
});
