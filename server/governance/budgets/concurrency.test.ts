import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { budgetCounters, llmCalls, reservations } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { runCalls } from "@/server/governance/testing/reserve-worker";
import { spawnWorker } from "@/server/governance/testing/spawn-worker";
import { getCostBreakdown } from "@/server/governance/reports";
import { createBudgetInput } from "./schemas";
import { createBudget } from "./service";

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh.drop());

describe("one budget, two OS processes, 200 concurrent calls", () => {
  it("never lets spend pass the limit and uses at least 95 % of it", async () => {
    const estimate = 10_000_000n; // $0.01 worst case per call
    const actual = 9_800_000n; // each call costs 98 % of its estimate
    const limit = estimate * 100n; // affords half of the 200 calls
    const b = await createBudget(
      fresh.db,
      { id: null, email: "admin@example.com" },
      createBudgetInput.parse({ name: "Half", scope: "workflow", scopeValue: "conc", period: "day", limitUsd: "1" }),
      ["conc"],
    );
    expect(b.limitNano).toBe(limit);

    const opts = {
      calls: 100,
      workers: 100,
      estimateNano: estimate.toString(),
      actualNano: actual.toString(),
      latencyMs: 20,
      workflow: "conc",
    };
    const child = spawnWorker(fresh.url, { ...opts, name: "child" });
    await child.ready;

    // Watch the counter the whole time: spent + reserved must never pass the limit.
    let maxHeld = 0n;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const rows = await fresh.db.select().from(budgetCounters).where(eq(budgetCounters.budgetId, b.id));
        for (const c of rows) if (c.spentNano + c.reservedNano > maxHeld) maxHeld = c.spentNano + c.reservedNano;
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    child.go();
    const [mine, theirs] = await Promise.all([runCalls(fresh.db, { ...opts, name: "parent" }), child.done]);
    watching = false;
    await watcher;

    const [counter] = await fresh.db.select().from(budgetCounters).where(eq(budgetCounters.budgetId, b.id));
    const [sum] = (await fresh.db.execute(
      sql`select coalesce(sum(cost_nano), 0) as s, count(*)::int as n from llm_calls`,
    )) as unknown as { s: string; n: number }[];
    const reserved = mine.reserved + theirs.reserved;
    expect(mine.reserved + mine.refused + theirs.reserved + theirs.refused).toBe(200);
    // Each process made all its calls (which one wins the budget is up to the race).
    expect(mine.reserved + mine.refused).toBe(100);
    expect(theirs.reserved + theirs.refused).toBe(100);
    expect(maxHeld).toBeLessThanOrEqual(limit);
    expect(counter!.spentNano).toBeLessThanOrEqual(limit);
    expect(counter!.reservedNano).toBe(0n);
    expect(Number(counter!.spentNano) / Number(limit)).toBeGreaterThanOrEqual(0.95);
    // Every settled call is recorded exactly once, and the counter agrees with the calls.
    expect(sum!.n).toBe(reserved);
    expect(BigInt(sum!.s)).toBe(counter!.spentNano);
    expect((await fresh.db.select().from(reservations).where(eq(reservations.status, "active"))).length).toBe(0);
    expect((await fresh.db.select().from(llmCalls).where(eq(llmCalls.simulated, true))).length).toBe(reserved);

    const breakdown = await getCostBreakdown(fresh.db, "parent-run-0");
    expect(breakdown.calls).toBeGreaterThanOrEqual(0);
    expect(breakdown.totalNano).toBe(BigInt(breakdown.calls) * actual);
  });
});
