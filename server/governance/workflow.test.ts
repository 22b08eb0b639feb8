import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditLog, llmCalls, runs } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * Governance on the real path: tRPC trigger -> embedded engine -> wflo's serve handler ->
 * middleware -> ctx.wflo.llm.complete -> guards, reservation, simulated provider, settle.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

// No provider keys: every call is simulated (and priced at the built-in rate).
delete process.env.OPENAI_API_KEY;
delete process.env.ANTHROPIC_API_KEY;
const { h, admin } = await openHarness(startRunsHarness, { admin: ["admin@example.com", "admin"] });

const caller = () => h.as(admin);
const runRow = async (runId: string) => (await h.fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
const callsOf = (runId: string) => h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId));

describe("governed LLM calls on the embedded engine", () => {
  it("stops a run that exceeds its workflow budget at once, without retries, and says why", async () => {
    const budget = await caller().governance.budgets.create({
      name: "research cap",
      scope: "workflow",
      scopeValue: "research-assistant",
      period: "day",
      limitUsd: "0.015",
      alertThresholds: [1, 80],
    });
    try {
      const { eventId } = await caller().runs.trigger({
        workflowId: "research-assistant",
        input: { topic: "budget stop", questions: 3 },
      });
      const { id: runId } = await h.runFor(eventId);
      await h.until("the run to fail", async () => (await runRow(runId))?.status === "failed");

      const run = await runRow(runId);
      expect(run!.attempts).toBe(1); // research-assistant has retries: 2; none were used
      expect(run!.error?.message).toMatch(/budget exceeded: workflow "research-assistant" per day limit \$0\.015/);
      await h.until("the engine to fail the run", async () => (await h.engine.getRun(runId))?.status === "failed");

      const breakdown = await caller().governance.costBreakdown({ runId });
      expect(breakdown.stop).toMatchObject({
        kind: "budget_exceeded",
        severity: "critical",
        details: { scope: "workflow", scopeValue: "research-assistant", limitNano: "15000000", budgetId: budget.id },
      });
      expect(breakdown.calls).toBeGreaterThanOrEqual(1);
      expect(breakdown.simulatedCalls).toBe(breakdown.calls);
      expect(breakdown.totalNano).toBeGreaterThan(0n);
      expect(breakdown.totalNano).toBeLessThanOrEqual(15_000_000n);
      const audits = await h.fresh.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "budget.run_stopped"), eq(auditLog.targetId, runId)));
      expect(audits).toHaveLength(1);
      // The threshold alert(s) of the budget become notifications too.
      await h.until("a threshold notification", async () =>
        (await caller().governance.notifications.list({})).some((n) => n.kind === "budget_threshold"),
      );
    } finally {
      await caller().governance.budgets.delete({ id: budget.id, expectedVersion: budget.version });
    }
  }, 120_000);

  it("holds every call of a run to the budget given at trigger time", async () => {
    const { eventId } = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "run budget", questions: 2 },
      budgetUsd: "0.012",
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to fail", async () => (await runRow(runId))?.status === "failed");
    const breakdown = await caller().governance.costBreakdown({ runId });
    expect(breakdown.budgetNano).toBe(12_000_000n);
    expect(breakdown.stop?.details).toMatchObject({ scope: "run", limitNano: "12000000" });
    expect((await runRow(runId))!.error?.message).toMatch(/budget exceeded: run /);

    // A re-run (and a re-run of that re-run) is held to the original run's budget.
    let parent = runId;
    for (const generation of [1, 2]) {
      const again = await caller().runs.rerun({ runId: parent });
      const { id: child } = await h.runFor(again.eventId);
      await h.until(`re-run ${generation} to fail`, async () => (await runRow(child))?.status === "failed");
      expect((await runRow(child))!.rerunOf).toBe(parent);
      expect((await caller().governance.costBreakdown({ runId: child })).stop?.details).toMatchObject({
        scope: "run",
        limitNano: "12000000",
      });
      const [audit] = await h.fresh.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "run.rerun"), eq(auditLog.targetId, parent)));
      expect(audit!.after).toMatchObject({ eventId: again.eventId, budgetUsd: "0.012", budgetNano: "12000000" });
      parent = child;
    }
  }, 120_000);

  it("pays each call once across the run's many requests and a wait (a resumed run never pays twice)", async () => {
    const { eventId } = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "pay once", questions: 2, feedbackTimeout: "10m" },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to wait for feedback", async () => (await runRow(runId))?.status === "waiting");
    const before = await callsOf(runId);
    expect(before.map((c) => c.stepId).sort()).toEqual(["draft", "plan", "research-1", "research-2"]);

    // "waiting" is recorded from the SDK's response a moment before the engine stores the wait; a
    // feedback event sent in between matches nothing (a wait sees only later events) and the run
    // would sit out its 10-minute timeout. That window, wide on a loaded machine, made this flaky.
    await h.waitingForEvent(runId);
    await inngest.send({
      name: "research/feedback.submitted",
      data: { topicId: `topic_${runId}`, comments: "shorter" },
    });
    await h.until("the run to complete", async () => (await runRow(runId))?.status === "completed");
    const after = await callsOf(runId);
    // Every replay after the wait re-ran the function body; memoised steps were not called or charged again.
    expect(after.map((c) => c.stepId).sort()).toEqual(["draft", "finalize", "plan", "research-1", "research-2"]);
    expect(
      after.every(
        (c) =>
          c.simulated &&
          c.provider === "simulated" &&
          c.model === "wflo-sim-1" &&
          c.priceSource === "builtin" &&
          c.costNano > 0n,
      ),
    ).toBe(true);
    const breakdown = await caller().governance.costBreakdown({ runId });
    expect(breakdown.totalNano).toBe(after.reduce((s, c) => s + c.costNano, 0n));
    expect(breakdown.byStep).toHaveLength(5);
    expect((await runRow(runId))!.output).toMatchObject({ llmCalls: 5 });
  }, 120_000);

  it("stops a run at its guard's call limit, and pauses the workflow when the burn-rate breaker trips", async () => {
    await caller().governance.guards.set({
      workflowId: "research-assistant",
      expectedVersion: 0,
      maxLlmCallsPerRun: 2,
      maxStepsPerRun: null,
      maxIdenticalCalls: null,
      burnWindowMinutes: null,
      burnLimitUsd: null,
    });
    const { eventId } = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "guarded", questions: 3 },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to fail", async () => (await runRow(runId))?.status === "failed");
    expect((await runRow(runId))!.error?.message).toMatch(/guard tripped: too many LLM calls in one run \(limit 2/);
    expect((await caller().governance.costBreakdown({ runId })).stop).toMatchObject({ kind: "guard_tripped" });
    const stopped = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "guards.run_stopped"), eq(auditLog.targetId, runId)));
    expect(stopped).toHaveLength(1);

    // A burn-rate limit below what has been spent: the next call trips the breaker, new runs are refused.
    const [g] = (await caller().governance.guards.list()).filter((w) => w.workflowId === "research-assistant");
    await caller().governance.guards.set({
      workflowId: "research-assistant",
      expectedVersion: g!.guards!.version,
      maxLlmCallsPerRun: null,
      maxStepsPerRun: null,
      maxIdenticalCalls: null,
      burnWindowMinutes: 60,
      burnLimitUsd: "0.000001",
    });
    const second = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "burn", questions: 1 },
    });
    const { id: run2 } = await h.runFor(second.eventId);
    await h.until("the run to fail", async () => (await runRow(run2))?.status === "failed");
    expect((await runRow(run2))!.error?.message).toMatch(/circuit breaker open/);
    await expect(
      caller().runs.trigger({ workflowId: "research-assistant", input: { topic: "refused" } }),
    ).rejects.toThrow(/paused: its circuit breaker tripped/);
    const tripped = await h.fresh.db.execute(
      sql`select count(*)::int as n from audit_log where action = 'guards.breaker_tripped'`,
    );
    expect((tripped as unknown as { n: number }[])[0]!.n).toBe(1);
    await caller().governance.guards.resetBreaker({ workflowId: "research-assistant" });
    expect(
      (await caller().governance.guards.list()).find((w) => w.workflowId === "research-assistant")?.guards?.tripped,
    ).toBe(false);
  }, 120_000);
});
