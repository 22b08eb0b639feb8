import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, asc, eq } from "drizzle-orm";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDb } from "@/db/client";
import { auditLog, llmCalls, runSteps, runs, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import type { Engine } from "@/inngest/engine";
import type { SessionUser } from "@/server/api/trpc";
import { countTokens } from "@/server/governance/estimate/tokens";
import { runStopReason } from "@/server/governance/alerts/notifications";
import { breakerState } from "@/server/governance/guards/enforce";
import { listGuards, resetBreaker, setGuards } from "@/server/governance/guards/service";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";
import { governanceTestFunctions, governanceTestWorkflowIds } from "@/server/governance/testing/governance-functions";

/**
 * Governance paths that need the real engine and the real provider SDKs: OpenAI and Anthropic
 * pointed (by env, as in production) at the local provider server; the identical-call breaker;
 * the max-steps guard enforced by wflo's middleware on every step.
 */
vi.hoisted(async () => (await import("@/server/runs/testing/engine-port")).claimEnginePort());

const PROVIDER_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] as const;
const savedEnv = Object.fromEntries(PROVIDER_ENV.map((k) => [k, process.env[k]]));

let fresh: FreshDb;
let engine: Engine;
let app: Server;
let providers: ProviderServer;
let admin: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  providers = await startProviderServer();
  process.env.OPENAI_API_KEY = "sk-test-wflo";
  process.env.OPENAI_BASE_URL = providers.openaiBaseUrl;
  process.env.ANTHROPIC_API_KEY = "sk-ant-test-wflo";
  process.env.ANTHROPIC_BASE_URL = providers.anthropicBaseUrl;
  const [u] = await fresh.db.insert(users).values({ email: "admin@example.com", name: "Admin", role: "admin", passwordHash: "x" }).returning();
  admin = { id: u!.id, email: u!.email, name: u!.name, role: "admin" };
  const { createEngine } = await import("@/inngest/engine");
  const { inngest } = await import("@/inngest/client");
  engine = createEngine({ db: fresh.db, port: Number(process.env.WFLO_ENGINE_PORT), pollIntervalMs: 20, backoff: () => 50 });
  await engine.start();
  app = createServer(serve({ client: inngest, functions: governanceTestFunctions }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  await engine.syncApp(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);
});
afterAll(async () => {
  // Other test files in this worker must not see the provider keys.
  for (const k of PROVIDER_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await engine?.stop();
  await new Promise((r) => app?.close(r));
  await providers?.close();
  await closeDb();
  await fresh?.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(name: string): Promise<string> {
  const { inngest } = await import("@/inngest/client");
  const { ids } = await inngest.send({ name, data: { _wflo: { triggeredBy: { id: admin.id, email: admin.email } } } });
  return until(`a run for ${name}`, async () => (await fresh.db.select({ id: runs.id }).from(runs).where(eq(runs.eventId, ids[0]!)))[0]?.id);
}
const runRow = async (runId: string) => (await fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
const finished = (runId: string) => until(`run ${runId} to finish`, async () => {
  const r = await runRow(runId);
  return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
});
const guards = (workflowId: string, g: { maxStepsPerRun?: number; maxIdenticalCalls?: number }) =>
  setGuards(fresh.db, admin, { workflowId, expectedVersion: 0, maxLlmCallsPerRun: null, maxStepsPerRun: g.maxStepsPerRun ?? null, maxIdenticalCalls: g.maxIdenticalCalls ?? null, burnWindowMinutes: null, burnLimitUsd: null }, governanceTestWorkflowIds);

describe("governance on the embedded engine", () => {
  it("calls OpenAI and Anthropic through their real SDKs and stores the providers' usage at catalogue prices", async () => {
    const runId = await start("test/gov.providers");
    const run = await finished(runId);
    expect(run.error).toBeNull();
    expect(run.status).toBe("completed");
    expect(providers.requests.map((r) => r.api)).toEqual(["openai.chat", "anthropic.messages"]);

    const calls = await fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.createdAt));
    const tok = (s: string) => countTokens(s, "gpt-4o");
    // The provider server's accounting: prompt tokens + 4 per message; the reply is "Reply from <model>: <prompt>".
    const openaiIn = tok("Be brief.") + tok("Name three uses of PostgreSQL advisory locks.") + 8;
    const openaiOut = tok("Reply from gpt-4o-mini: Name three uses of PostgreSQL advisory locks.");
    const anthropicIn = tok("Be brief.") + tok("Explain MVCC in one line.") + 8;
    const anthropicOut = tok("Reply from claude-3-5-haiku-latest: Explain MVCC in one line.");
    expect(calls.map((c) => ({ step: c.stepId, provider: c.provider, simulated: c.simulated, status: c.status, source: c.priceSource, in: c.inputTokens, out: c.outputTokens }))).toEqual([
      { step: "ask-openai", provider: "openai", simulated: false, status: "ok", source: "catalogue", in: openaiIn, out: openaiOut },
      { step: "ask-anthropic", provider: "anthropic", simulated: false, status: "ok", source: "catalogue", in: anthropicIn, out: anthropicOut },
    ]);
    expect(calls[0]!.model).toMatch(/^gpt-4o-mini/);
    expect(calls[1]!.model).toMatch(/^claude-3[.-]5-haiku/);
    // Catalogue prices: gpt-4o-mini $0.15 / $0.60, claude 3.5 haiku $0.80 / $4 per million tokens.
    expect(calls[0]!.costNano).toBe(BigInt(openaiIn * 150 + openaiOut * 600));
    expect(calls[1]!.costNano).toBe(BigInt(anthropicIn * 800 + anthropicOut * 4000));

    const out = run.output as { openai: { simulated: boolean; costUsd: string; text: string }; anthropic: { simulated: boolean; provider: string } };
    expect(out.openai).toMatchObject({ simulated: false, text: "Reply from gpt-4o-mini: Name three uses of PostgreSQL advisory locks." });
    expect(out.anthropic).toMatchObject({ simulated: false, provider: "anthropic" });
  }, 30_000);

  it("trips the workflow's breaker when a run repeats the same call, audited once and visible in the guards", async () => {
    await guards("test-gov-loop", { maxIdenticalCalls: 3 });
    const runId = await start("test/gov.loop");
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1);
    expect(run.error?.message).toMatch(/guard tripped: run \S+ repeated the same LLM call 4 times \(limit 3\); the workflow's circuit breaker is now open/);
    // Three calls were made and paid; the fourth was refused before any reservation.
    expect((await fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId))).map((c) => c.stepId).sort()).toEqual(["think-1", "think-2", "think-3"]);

    const state = (await listGuards(fresh.db)).find((g) => g.workflowId === "test-gov-loop");
    expect(state).toMatchObject({ tripped: true, trippedRunId: runId });
    expect(state!.trippedReason).toMatch(/repeated the same LLM call 4 times/);
    expect((await breakerState(fresh.db, "test-gov-loop")).open).toBe(true);
    const audits = await fresh.db.select().from(auditLog).where(and(eq(auditLog.action, "guards.breaker_tripped"), eq(auditLog.targetId, "test-gov-loop")));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({ guard: "identical_calls", limit: 3, observed: 4, runId, stepId: "think-4" });
    expect(await runStopReason(fresh.db, runId)).toMatchObject({ kind: "breaker_tripped" });

    // While the breaker is open, the next run's first call is refused; no second trip is recorded.
    const second = await start("test/gov.loop");
    expect((await finished(second)).error?.message).toMatch(/circuit breaker open for test-gov-loop/);
    expect(await fresh.db.select().from(auditLog).where(eq(auditLog.action, "guards.breaker_tripped"))).toHaveLength(1);
    await resetBreaker(fresh.db, admin, { workflowId: "test-gov-loop" });
    expect((await breakerState(fresh.db, "test-gov-loop")).open).toBe(false);
  }, 30_000);

  it("stops a run at its max-steps guard on a plain step.run (no LLM call), without retries, audited once", async () => {
    await guards("test-gov-steps", { maxStepsPerRun: 5 });
    const runId = await start("test/gov.steps");
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(run.attempts).toBe(1); // retries: 2, none used: a guard cannot be retried past
    expect(run.error?.message).toMatch(/guard tripped: too many steps in one run \(limit 5, this run reached 6\)/);
    const steps = await fresh.db.select().from(runSteps).where(eq(runSteps.runId, runId));
    // work-6 was refused before its handler ran; work-7 never started.
    expect(steps.filter((s) => s.status === "completed").map((s) => s.stepId).sort()).toEqual(["work-1", "work-2", "work-3", "work-4", "work-5"]);
    expect(steps.some((s) => s.stepId === "work-7")).toBe(false);
    const audits = await fresh.db.select().from(auditLog).where(and(eq(auditLog.action, "guards.run_stopped"), eq(auditLog.targetId, runId)));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({ guard: "max_steps", limit: 5, observed: 6, stepId: "work-6" });
    expect(await runStopReason(fresh.db, runId)).toMatchObject({ kind: "guard_tripped" });
  }, 30_000);
});
