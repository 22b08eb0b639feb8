import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, budgetAlerts, budgetCounters, llmCalls, llmCostRollup, reservations } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import type { Actor } from "@/server/audit/chain";
import { verifyAuditChain } from "@/server/audit/chain";
import { BudgetExceededError, UnpricedModelError } from "@/server/governance/errors";
import { DomainError } from "@/server/errors";
import { setAllowUnpricedInput } from "@/server/governance/pricing/schemas";
import { setAllowUnpricedModels } from "@/server/governance/pricing/service";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import { expireReservations, release, reserve, settle, type CallRecord } from "./reservations";
import { createBudgetInput, deleteBudgetInput, updateBudgetInput, type CreateBudgetInput } from "./schemas";
import { createBudget, deleteBudget, listBudgets, pendingBudgetAlerts, updateBudget } from "./service";

let fresh: FreshDb;
const admin: Actor = { id: null, email: "admin@example.com" };
/** The workflows this test's "app" serves: a workflow budget must name one of them. */
const SERVED = ["research", "batch-dup"];
const USD = 1_000_000_000n;
const call = (extra: Partial<CallRecord> = {}): CallRecord => ({
  provider: "openai",
  model: "gpt-4o",
  usage: { inputTokens: 100, outputTokens: 20 },
  priceSource: "catalogue",
  ...extra,
});

beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh.drop());

/** The panel's path: the router's input schema first, then the service (no rows are written by a refusal). */
const adminCaller = () =>
  appRouter.createCaller(
    createInnerContext({
      db: fresh.db,
      user: { id: "00000000-0000-4000-8000-0000000000ad", email: "admin@example.com", name: "Admin", role: "admin" },
    }),
  );

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("budget administration", () => {
  it("creates a budget with default thresholds and an audit row", async () => {
    const b = await createBudget(
      fresh.db,
      admin,
      createBudgetInput.parse({
        name: "Research daily",
        scope: "workflow",
        scopeValue: "research",
        period: "day",
        limitUsd: "5",
      }),
      SERVED,
    );
    expect(b).toMatchObject({
      limitNano: 5n * USD,
      limitUsd: "5",
      alertThresholds: [50, 80, 100],
      version: 1,
      enabled: true,
    });
    const audits = await fresh.db.select().from(auditLog).where(eq(auditLog.targetId, b.id));
    expect(audits.map((a) => a.action)).toEqual(["budget.create"]);
  });

  it("names the field for a negative limit, a threshold over 100, a blank scope value and an unknown period", async () => {
    // Bad input is refused by the procedure's schema (the service takes parsed input).
    const bad = async (input: Record<string, unknown>) =>
      (await errorOf(adminCaller().governance.budgets.create(input as CreateBudgetInput))).message;
    const base = { name: "x", scope: "agent", scopeValue: "a", period: "day", limitUsd: 1 };
    expect(await bad({ ...base, limitUsd: -1 })).toBe("limitUsd: limitUsd must not be negative");
    expect(await bad({ ...base, alertThresholds: [50, 120] })).toBe(
      "alertThresholds.1: alert threshold must be at most 100 (%)",
    );
    expect(await bad({ ...base, scopeValue: " " })).toBe(
      "scopeValue: scopeValue must name the agent this budget is for",
    );
    expect(await bad({ ...base, period: "fortnight" })).toBe(
      "period: period must be one of: run, hour, day, week, month, lifetime",
    );
    expect(await bad({ ...base, limitUsd: "1.0000000001" })).toContain(
      "limitUsd: limitUsd must be a decimal amount of US dollars with at most 9 decimals",
    );
    const dup = await errorOf(
      createBudget(
        fresh.db,
        admin,
        createBudgetInput.parse({
          name: "again",
          scope: "workflow",
          scopeValue: "research",
          period: "day",
          limitUsd: 1,
        }),
        SERVED,
      ),
    );
    expect(dup).toBeInstanceOf(DomainError);
    expect(dup.message).toBe('a day budget for workflow "research" already exists: edit it instead');
  });

  it("lets exactly one of two admins editing the same version win; the other gets a conflict naming the version", async () => {
    const b = await createBudget(
      fresh.db,
      admin,
      createBudgetInput.parse({ name: "Agent", scope: "agent", scopeValue: "writer", period: "month", limitUsd: 10 }),
      SERVED,
    );
    const results = await Promise.allSettled([
      updateBudget(
        fresh.db,
        { id: null, email: "a@example.com" },
        updateBudgetInput.parse({ id: b.id, expectedVersion: 1, limitUsd: 20 }),
      ),
      updateBudget(
        fresh.db,
        { id: null, email: "b@example.com" },
        updateBudgetInput.parse({ id: b.id, expectedVersion: 1, limitUsd: 30 }),
      ),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.reason.message)).toContain(
      "expectedVersion: the budget was changed by someone else meanwhile (you edited version 1, it is now version 2)",
    );
    const after = (await listBudgets(fresh.db)).find((x) => x.id === b.id)!;
    expect(after.version).toBe(2);
    expect([20n * USD, 30n * USD]).toContain(after.limitNano);
    await deleteBudget(fresh.db, admin, deleteBudgetInput.parse({ id: b.id, expectedVersion: 2 }));
    expect((await listBudgets(fresh.db)).find((x) => x.id === b.id)).toBeUndefined();
  });
});

describe("reserve and settle", () => {
  it("holds money on every applicable budget and settles the actual cost", async () => {
    const g = await createBudget(
      fresh.db,
      admin,
      createBudgetInput.parse({ name: "Global", scope: "global", period: "lifetime", limitUsd: 100 }),
      SERVED,
    );
    const r = await reserve(fresh.db, {
      runId: "run-1",
      stepId: "s1",
      workflow: "research",
      agent: "planner",
      estimateNano: 2n * USD,
    });
    expect(r).toMatchObject({ status: "active", amountNano: 2n * USD, reused: false });
    const held = await fresh.db.select().from(budgetCounters);
    expect(held.filter((c) => c.reservedNano === 2n * USD).length).toBe(2); // global + research/day

    const s = await settle(fresh.db, r.id, 1_500_000_000n, call());
    expect(s.outcome).toBe("settled");
    const counters = await fresh.db.select().from(budgetCounters);
    for (const c of counters)
      expect({ spent: c.spentNano, reserved: c.reservedNano }).toEqual({ spent: 1_500_000_000n, reserved: 0n });
    const [row] = await fresh.db.select().from(llmCalls).where(eq(llmCalls.reservationId, r.id));
    expect(row).toMatchObject({
      runId: "run-1",
      stepId: "s1",
      workflow: "research",
      agent: "planner",
      costNano: 1_500_000_000n,
      inputTokens: 100,
    });
    const rollup = await fresh.db.select().from(llmCostRollup);
    expect(rollup).toMatchObject([
      { provider: "openai", model: "gpt-4o", workflow: "research", calls: 1n, costNano: 1_500_000_000n },
    ]);

    // Settling twice (a retried step) counts once.
    expect(await settle(fresh.db, r.id, 1_500_000_000n, call())).toEqual({ callId: s.callId, outcome: "already" });
    expect((await fresh.db.select().from(llmCalls)).length).toBe(1);
    await updateBudget(fresh.db, admin, updateBudgetInput.parse({ id: g.id, expectedVersion: 1, enabled: false }));
  });

  it("refuses a call the tightest budget cannot afford, with the budget's figures, and holds nothing", async () => {
    // research/day: $5 limit, $1.50 spent.
    const err = await errorOf(
      reserve(fresh.db, { runId: "run-2", stepId: "s1", workflow: "research", estimateNano: 4n * USD }),
    );
    expect(err).toBeInstanceOf(BudgetExceededError);
    const e = err as BudgetExceededError;
    expect({
      scope: e.scope,
      scopeValue: e.scopeValue,
      period: e.period,
      limitNano: e.limitNano,
      spentNano: e.spentNano,
      reservedNano: e.reservedNano,
    }).toEqual({
      scope: "workflow",
      scopeValue: "research",
      period: "day",
      limitNano: 5n * USD,
      spentNano: 1_500_000_000n,
      reservedNano: 0n,
    });
    expect(e.message).toBe(
      'budget exceeded: workflow "research" per day limit $5.00, spent $1.50, reserved by calls in flight $0.00, this call needs up to $4.00',
    );
    expect((await fresh.db.select().from(reservations).where(eq(reservations.runId, "run-2"))).length).toBe(0);
    // Exactly what is left still fits.
    const r = await reserve(fresh.db, {
      runId: "run-2",
      stepId: "s1",
      workflow: "research",
      estimateNano: 3_500_000_000n,
    });
    await release(fresh.db, r.id);
  });

  it("applies a run's own limit to every call of the run", async () => {
    await reserve(fresh.db, {
      runId: "run-3",
      stepId: "a",
      perRunLimitNano: 1n * USD,
      estimateNano: 600_000_000n,
    }).then((r) => settle(fresh.db, r.id, 600_000_000n, call()));
    const err = await errorOf(reserve(fresh.db, { runId: "run-3", stepId: "b", estimateNano: 500_000_000n }));
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as BudgetExceededError).scope).toBe("run");
    expect((err as BudgetExceededError).scopeValue).toBe("run-3");
    await reserve(fresh.db, { runId: "run-3", stepId: "b", estimateNano: 400_000_000n });
  });

  it("gives a retried step its first reservation back", async () => {
    const a = await reserve(fresh.db, { runId: "run-4", stepId: "s", estimateNano: 10n, idempotencyKey: "run-4:s" });
    const b = await reserve(fresh.db, { runId: "run-4", stepId: "s", estimateNano: 10n, idempotencyKey: "run-4:s" });
    expect(b).toMatchObject({ id: a.id, reused: true, status: "active" });
  });

  it("counts a reservation once when the same batch reserves one step twice and settles and releases it together", async () => {
    const w = await createBudget(
      fresh.db,
      admin,
      createBudgetInput.parse({
        name: "Batch",
        scope: "workflow",
        scopeValue: "batch-dup",
        period: "lifetime",
        limitUsd: 10,
      }),
      SERVED,
    );
    // The first call occupies the batcher; the ones submitted with it wait and go to PostgreSQL together, in one batch.
    const [other, a, b] = await Promise.all([
      reserve(fresh.db, { runId: "run-dup", stepId: "other", workflow: "batch-dup", estimateNano: 1n * USD }),
      reserve(fresh.db, {
        runId: "run-dup",
        stepId: "s",
        workflow: "batch-dup",
        estimateNano: 3n * USD,
        idempotencyKey: "run-dup:s",
      }),
      reserve(fresh.db, {
        runId: "run-dup",
        stepId: "s",
        workflow: "batch-dup",
        estimateNano: 3n * USD,
        idempotencyKey: "run-dup:s",
      }),
    ]);
    expect(b).toMatchObject({ id: a.id, reused: true });
    const [, ...outcomes] = await Promise.all([
      release(fresh.db, other.id),
      settle(fresh.db, a.id, 2n * USD, call()),
      settle(fresh.db, a.id, 2n * USD, call()),
      release(fresh.db, a.id),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["already", "already", "settled"]);
    expect(new Set(outcomes.map((o) => o.callId)).size).toBe(1);
    expect(await fresh.db.select().from(llmCalls).where(eq(llmCalls.reservationId, a.id))).toHaveLength(1);
    const [c] = await fresh.db.select().from(budgetCounters).where(eq(budgetCounters.budgetId, w.id));
    expect({ spent: c!.spentNano, reserved: c!.reservedNano }).toEqual({ spent: 2n * USD, reserved: 0n });
  });

  it("expires crashed reservations and still records a late settlement", async () => {
    const r = await reserve(fresh.db, {
      runId: "run-5",
      stepId: "s",
      workflow: "research",
      estimateNano: 1n * USD,
      ttlMs: 1,
    });
    await new Promise((res) => setTimeout(res, 20));
    expect(await expireReservations(fresh.db)).toBeGreaterThanOrEqual(1);
    const [c] = await fresh.db.execute(
      sql`select reserved_nano from budget_counters where key like '%|20%' and budget_id is not null`,
    );
    expect(BigInt((c as { reserved_nano: bigint }).reserved_nano)).toBe(0n);
    expect((await settle(fresh.db, r.id, 100n, call())).outcome).toBe("late");
  });

  it("refuses unpriced models under a budget unless an admin allows them", async () => {
    const err = await errorOf(
      reserve(fresh.db, {
        runId: "run-6",
        stepId: "s",
        workflow: "research",
        estimateNano: 0n,
        unpriced: true,
        model: "my-llm",
      }),
    );
    expect(err).toBeInstanceOf(UnpricedModelError);
    expect(err.message).toContain("model my-llm has no price, and a budget applies to this call");
    // Without any budget, nothing to protect: allowed.
    await reserve(fresh.db, {
      runId: "run-6",
      stepId: "s",
      workflow: "unbudgeted",
      estimateNano: 0n,
      unpriced: true,
      model: "my-llm",
    });
    await setAllowUnpricedModels(fresh.db, admin, setAllowUnpricedInput.parse({ allow: true }));
    await reserve(fresh.db, {
      runId: "run-6",
      stepId: "s2",
      workflow: "research",
      estimateNano: 0n,
      unpriced: true,
      model: "my-llm",
    });
    await setAllowUnpricedModels(fresh.db, admin, setAllowUnpricedInput.parse({ allow: false }));
  });

  it("records each threshold crossing once per window", async () => {
    const b = await createBudget(
      fresh.db,
      admin,
      createBudgetInput.parse({
        name: "Tagged",
        scope: "tag",
        scopeValue: "exp",
        period: "hour",
        limitUsd: 1,
        alertThresholds: [50, 100],
      }),
      SERVED,
    );
    for (let i = 0; i < 3; i++) {
      const r = await reserve(fresh.db, { runId: "run-7", stepId: `s${i}`, tags: ["exp"], estimateNano: 300_000_000n });
      await settle(fresh.db, r.id, 300_000_000n, call());
    }
    const alerts = await fresh.db.select().from(budgetAlerts).where(eq(budgetAlerts.budgetId, b.id));
    expect(alerts.map((a) => a.thresholdPct)).toEqual([50]);
    expect((await pendingBudgetAlerts(fresh.db)).some((a) => a.budgetName === "Tagged")).toBe(true);
    const status = (await listBudgets(fresh.db)).find((x) => x.id === b.id)!;
    expect(status.current).toMatchObject({ spentNano: 900_000_000n, reservedNano: 0n, utilization: 0.9 });
    const last = await reserve(fresh.db, { runId: "run-7", stepId: "s9", tags: ["exp"], estimateNano: 100_000_000n });
    await settle(fresh.db, last.id, 100_000_000n, call());
    const after = await fresh.db.select().from(budgetAlerts).where(eq(budgetAlerts.budgetId, b.id));
    expect(after.map((a) => a.thresholdPct).sort((x, y) => x - y)).toEqual([50, 100]);
  });

  it("rejects bad input naming the field", async () => {
    expect((await errorOf(reserve(fresh.db, { runId: "", stepId: "s", estimateNano: 1n }))).message).toBe(
      "runId: runId must not be blank",
    );
    expect((await errorOf(reserve(fresh.db, { runId: "r", stepId: "s", estimateNano: -1n }))).message).toBe(
      "estimateNano: estimateNano must not be negative",
    );
    expect((await errorOf(settle(fresh.db, "nope", 1n, call()))).message).toBe("reservationId must be a UUID");
    const r = await reserve(fresh.db, { runId: "r", stepId: "s", estimateNano: 1n });
    expect(
      (await errorOf(settle(fresh.db, r.id, 1n, call({ usage: { inputTokens: -3, outputTokens: 1 } })))).message,
    ).toBe("inputTokens: must be a non-negative integer (got -3)");
  });

  it("keeps the audit chain intact", async () => {
    expect(await verifyAuditChain(fresh.db)).toMatchObject({ ok: true });
  });
});
