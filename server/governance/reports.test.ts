import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { reserve, settle } from "./budgets/reservations";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import { createBudgetInput } from "./budgets/schemas";
import { createBudget } from "./budgets/service";
import { costOverTimeInput, getCostBreakdown, getCostOverTime } from "./reports";

let fresh: FreshDb;
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

async function spend(
  runId: string,
  stepId: string,
  agent: string,
  model: string,
  cost: bigint,
  opts: { perRunLimitNano?: bigint; simulated?: boolean } = {},
) {
  const r = await reserve(fresh.db, {
    runId,
    stepId,
    agent,
    workflow: "report-wf",
    estimateNano: cost,
    perRunLimitNano: opts.perRunLimitNano,
  });
  await settle(fresh.db, r.id, cost, {
    provider: model.startsWith("claude") ? "anthropic" : "openai",
    model,
    usage: { inputTokens: 10, outputTokens: 5 },
    priceSource: "catalogue",
    simulated: opts.simulated,
  });
}

describe("getCostBreakdown", () => {
  it("totals a run against its budget, by model, step and agent", async () => {
    await spend("run-b", "plan", "planner", "gpt-4o", 300n, { perRunLimitNano: 1000n });
    await spend("run-b", "write", "writer", "claude-sonnet-4-5", 500n);
    await spend("run-b", "write", "writer", "gpt-4o", 100n, { simulated: true });
    await reserve(fresh.db, { runId: "run-b", stepId: "review", estimateNano: 50n });
    await spend("other-run", "plan", "planner", "gpt-4o", 999n);

    const b = await getCostBreakdown(fresh.db, "run-b");
    expect(b).toMatchObject({
      totalNano: 900n,
      budgetNano: 1000n,
      remainingNano: 100n,
      exceeded: false,
      reservedNano: 50n,
      calls: 3,
      simulatedCalls: 1,
      failedCalls: 0,
    });
    expect(b.byModel.map((m) => [m.model, m.costNano, m.calls])).toEqual([
      ["claude-sonnet-4-5", 500n, 1],
      ["gpt-4o", 400n, 2],
    ]);
    expect(b.byStep.map((s) => [s.stepId, s.costNano])).toEqual([
      ["write", 600n],
      ["plan", 300n],
    ]);
    expect(b.byAgent.map((a) => [a.agent, a.costNano])).toEqual([
      ["writer", 600n],
      ["planner", 300n],
    ]);
  });

  it("uses a per-run budget when the run has no limit of its own, and reports an empty run", async () => {
    await createBudget(
      fresh.db,
      { id: null, email: "a@example.com" },
      createBudgetInput.parse({
        name: "Per run",
        scope: "workflow",
        scopeValue: "report-wf",
        period: "run",
        limitUsd: "0.000002",
      }),
      ["report-wf"],
    );
    await spend("run-c", "s", "a", "gpt-4o", 1500n);
    expect(await getCostBreakdown(fresh.db, "run-c")).toMatchObject({
      totalNano: 1500n,
      budgetNano: 2000n,
      remainingNano: 500n,
    });
    expect(await getCostBreakdown(fresh.db, "nothing-here")).toMatchObject({
      totalNano: 0n,
      budgetNano: null,
      remainingNano: null,
      exceeded: false,
      calls: 0,
      byModel: [],
    });
  });
});

describe("getCostOverTime", () => {
  it("reads spend per day and model from the rollup", async () => {
    const to = new Date(Date.now() + 3_600_000);
    const from = new Date(Date.now() - 86_400_000);
    const points = await getCostOverTime(
      fresh.db,
      costOverTimeInput.parse({ from, to, bucket: "day", groupBy: "model", workflow: "report-wf" }),
    );
    const byModel = new Map<string, bigint>();
    for (const p of points) byModel.set(p.key, (byModel.get(p.key) ?? 0n) + p.costNano);
    expect(byModel.get("gpt-4o")).toBe(300n + 100n + 999n + 1500n);
    expect(byModel.get("claude-sonnet-4-5")).toBe(500n);
    // Through the procedure: its schema refuses the zone, the service the reversed range.
    await expect(adminCaller().governance.costOverTime({ from: to, to: from })).rejects.toThrow(
      "to: must be after from",
    );
    await expect(adminCaller().governance.costOverTime({ from, to, timeZone: "Mars/Olympus" })).rejects.toThrow(
      "timeZone: timeZone must be an IANA time zone",
    );
  });
});
