import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, runSteps } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { dashboardOverview } from "./service";

let fresh: FreshDb;
const now = new Date("2026-11-21T12:00:00Z");
const ago = (min: number) => new Date(now.getTime() - min * 60_000);

beforeAll(async () => {
  fresh = await freshDatabase();
  const rows = [
    { id: "r1", status: "completed" as const, startedAt: ago(50), endedAt: ago(49) }, // 60 s
    { id: "r2", status: "completed" as const, startedAt: ago(40), endedAt: new Date(ago(40).getTime() + 2000) }, // 2 s
    { id: "r3", status: "failed" as const, startedAt: ago(12), endedAt: ago(11) },
    { id: "r4", status: "running" as const, startedAt: ago(2), endedAt: null },
    { id: "old", status: "completed" as const, startedAt: ago(200), endedAt: ago(199) },
  ];
  await fresh.db.insert(runs).values(rows.map((r) => ({ ...r, workflowId: "demo", eventName: "demo/go" })));
  await fresh.db.insert(runSteps).values([
    {
      runId: "r1",
      hashedId: "a",
      stepId: "a",
      name: "a",
      kind: "run",
      status: "completed",
      startedAt: ago(50),
      endedAt: new Date(ago(50).getTime() + 100),
    },
    {
      runId: "r1",
      hashedId: "b",
      stepId: "b",
      name: "b",
      kind: "run",
      status: "completed",
      startedAt: ago(50),
      endedAt: new Date(ago(50).getTime() + 300),
    },
    {
      runId: "r1",
      hashedId: "c",
      stepId: "c",
      name: "c",
      kind: "sleep",
      status: "completed",
      startedAt: ago(50),
      endedAt: ago(49),
    },
  ]);
});
afterAll(async () => fresh.drop());

describe("dashboard overview", () => {
  it("buckets runs by status within the range and computes latency and error rate", async () => {
    const o = await dashboardOverview(fresh.db, "1h", now);
    expect(o.buckets).toHaveLength(13); // 5-minute buckets covering the hour, ends included
    expect(o.totals).toMatchObject({ completed: 2, failed: 1, running: 1 });
    expect(o.buckets.reduce((n, b) => n + b.completed + b.failed + b.running, 0)).toBe(4);
    expect(o.active).toBe(1);
    expect(o.errorRate).toBeCloseTo(1 / 3);
    expect(o.runLatencyMs.p50).toBeCloseTo(31_000); // median of 2 s and 60 s
    // Sleeps are waiting, not work: only step.run steps count toward step latency.
    expect(o.stepLatencyMs.p50).toBeCloseTo(200);
  });

  it("widens with the range", async () => {
    const o = await dashboardOverview(fresh.db, "24h", now);
    expect(o.totals.completed).toBe(3);
  });
});
