import { and, asc, eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { auditLog, llmCalls, runSteps } from "@/db/schema";
import { countTokens } from "@/server/governance/estimate/tokens";
import { runStopReason } from "@/server/runs/stop";
import { breakerState } from "@/server/governance/guards/enforce";
import { listGuards, resetBreaker, setGuards } from "@/server/governance/guards/service";
import { startProviderServer } from "@/server/governance/testing/provider-server";
import { governanceTestFunctions, governanceTestWorkflowIds } from "@/server/governance/testing/governance-functions";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * Governance paths that need the real engine and the real provider SDKs: OpenAI and Anthropic
 * pointed (by env, as in production) at the local provider server; the identical-call breaker;
 * the max-steps guard enforced by wflo's middleware on every step.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const PROVIDER_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] as const;
const savedEnv = Object.fromEntries(PROVIDER_ENV.map((k) => [k, process.env[k]]));

const providers = await startProviderServer();
process.env.OPENAI_API_KEY = "sk-test-wflo";
process.env.OPENAI_BASE_URL = providers.openaiBaseUrl;
process.env.ANTHROPIC_API_KEY = "sk-ant-test-wflo";
process.env.ANTHROPIC_BASE_URL = providers.anthropicBaseUrl;
afterAll(async () => {
  // Other test files in this worker must not see the provider keys.
  for (const k of PROVIDER_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await providers.close();
});
const { h, admin } = await openHarness(() => startRunsHarness({ extraFunctions: governanceTestFunctions }), {
  admin: ["admin@example.com", "admin"],
});

const start = (name: string) => h.start(name, { by: admin });
const finished = (runId: string) => h.finished(runId);
const guards = (workflowId: string, g: { maxStepsPerRun?: number; maxIdenticalCalls?: number }) =>
  setGuards(
    h.fresh.db,
    admin,
    {
      workflowId,
      expectedVersion: 0,
      maxLlmCallsPerRun: null,
      maxStepsPerRun: g.maxStepsPerRun ?? null,
      maxIdenticalCalls: g.maxIdenticalCalls ?? null,
      burnWindowMinutes: null,
      burnLimitUsd: null,
    },
    governanceTestWorkflowIds,
  );

describe("governance on the embedded engine", () => {
  it("calls OpenAI and Anthropic through their real SDKs and stores the providers' usage at catalogue prices", async () => {
    const runId = await start("test/gov.providers");
    const run = await finished(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("completed");
    expect(providers.requests.map((r) => r.api)).toEqual(["openai.chat", "anthropic.messages"]);

    const calls = await h.fresh.db
      .select()
      .from(llmCalls)
      .where(eq(llmCalls.runId, runId))
      .orderBy(asc(llmCalls.createdAt));
    const tok = (s: string) => countTokens(s, "gpt-4o");
    // The provider server's accounting: prompt tokens + 4 per message; the reply is "Reply from <model>: <prompt>".
    const openaiIn = tok("Be brief.") + tok("Name three uses of PostgreSQL advisory locks.") + 8;
    const openaiOut = tok("Reply from gpt-4o-mini: Name three uses of PostgreSQL advisory locks.");
    const anthropicIn = tok("Be brief.") + tok("Explain MVCC in one line.") + 8;
    const anthropicOut = tok("Reply from claude-3-5-haiku-latest: Explain MVCC in one line.");
    expect(
      calls.map((c) => ({
        step: c.stepId,
        provider: c.provider,
        simulated: c.simulated,
        status: c.status,
        source: c.priceSource,
        in: c.inputTokens,
        out: c.outputTokens,
      })),
    ).toEqual([
      {
        step: "ask-openai",
        provider: "openai",
        simulated: false,
        status: "ok",
        source: "catalogue",
        in: openaiIn,
        out: openaiOut,
      },
      {
        step: "ask-anthropic",
        provider: "anthropic",
        simulated: false,
        status: "ok",
        source: "catalogue",
        in: anthropicIn,
        out: anthropicOut,
      },
    ]);
    expect(calls[0]!.model).toMatch(/^gpt-4o-mini/);
    expect(calls[1]!.model).toMatch(/^claude-3[.-]5-haiku/);
    // Catalogue prices: gpt-4o-mini $0.15 / $0.60, claude 3.5 haiku $0.80 / $4 per million tokens.
    expect(calls[0]!.costNano).toBe(BigInt(openaiIn * 150 + openaiOut * 600));
    expect(calls[1]!.costNano).toBe(BigInt(anthropicIn * 800 + anthropicOut * 4000));

    const out = run.output as {
      openai: { simulated: boolean; costUsd: string; text: string };
      anthropic: { simulated: boolean; provider: string };
    };
    expect(out.openai).toMatchObject({
      simulated: false,
      text: "Reply from gpt-4o-mini: Name three uses of PostgreSQL advisory locks.",
    });
    expect(out.anthropic).toMatchObject({ simulated: false, provider: "anthropic" });
  });

  it("trips the workflow's breaker when a run repeats the same call, audited once and visible in the guards", async () => {
    await guards("test-gov-loop", { maxIdenticalCalls: 3 });
    const runId = await start("test/gov.loop");
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1);
    expect(run.error?.message).toMatch(
      /guard tripped: run \S+ repeated the same LLM call 4 times \(limit 3\); the workflow's circuit breaker is now open/,
    );
    // Three calls were made and paid; the fourth was refused before any reservation.
    expect(
      (await h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId))).map((c) => c.stepId).sort(),
    ).toEqual(["think-1", "think-2", "think-3"]);

    const state = (await listGuards(h.fresh.db)).find((g) => g.workflowId === "test-gov-loop");
    expect(state).toMatchObject({ tripped: true, trippedRunId: runId });
    expect(state!.trippedReason).toMatch(/repeated the same LLM call 4 times/);
    expect((await breakerState(h.fresh.db, "test-gov-loop")).open).toBe(true);
    const audits = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "guards.breaker_tripped"), eq(auditLog.targetId, "test-gov-loop")));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({
      guard: "identical_calls",
      limit: 3,
      observed: 4,
      runId,
      stepId: "think-4",
    });
    expect(await runStopReason(h.fresh.db, runId)).toMatchObject({ kind: "breaker_tripped" });

    // While the breaker is open, the next run's first call is refused; no second trip is recorded.
    const second = await start("test/gov.loop");
    expect((await finished(second)).error?.message).toMatch(/circuit breaker open for test-gov-loop/);
    expect(await h.fresh.db.select().from(auditLog).where(eq(auditLog.action, "guards.breaker_tripped"))).toHaveLength(
      1,
    );
    await resetBreaker(h.fresh.db, admin, { workflowId: "test-gov-loop" });
    expect((await breakerState(h.fresh.db, "test-gov-loop")).open).toBe(false);
  });

  it("stops a run at its max-steps guard on a plain step.run (no LLM call), without retries, audited once", async () => {
    await guards("test-gov-steps", { maxStepsPerRun: 5 });
    const runId = await start("test/gov.steps");
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1); // retries: 2, none used: a guard cannot be retried past
    expect(run.error?.message).toMatch(/guard tripped: too many steps in one run \(limit 5, this run reached 6\)/);
    const steps = await h.fresh.db.select().from(runSteps).where(eq(runSteps.runId, runId));
    // work-6 was refused before its handler ran; work-7 never started.
    expect(
      steps
        .filter((s) => s.status === "completed")
        .map((s) => s.stepId)
        .sort(),
    ).toEqual(["work-1", "work-2", "work-3", "work-4", "work-5"]);
    expect(steps.some((s) => s.stepId === "work-7")).toBe(false);
    const audits = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "guards.run_stopped"), eq(auditLog.targetId, runId)));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({ guard: "max_steps", limit: 5, observed: 6, stepId: "work-6" });
    expect(await runStopReason(h.fresh.db, runId)).toMatchObject({ kind: "guard_tripped" });
  });
});
