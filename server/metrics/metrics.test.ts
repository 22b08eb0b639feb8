import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, budgetCounters, budgets, llmCalls, runs, runSteps } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { checkMetricsAccess } from "./auth";
import { createMetrics } from "./metrics";

let fresh: FreshDb;
const ago = (s: number) => new Date(Date.now() - s * 1000);

beforeAll(async () => {
  fresh = await freshDatabase();
  const db = fresh.db;
  await db.insert(runs).values([
    { id: "r1", workflowId: "demo", status: "completed", eventName: "demo/go", startedAt: ago(60), endedAt: ago(58) },
    { id: "r2", workflowId: "demo", status: "failed", eventName: "demo/go", startedAt: ago(50), endedAt: ago(40) },
    { id: "r3", workflowId: "other", status: "running", eventName: "other/go", startedAt: ago(5) },
  ]);
  await db.insert(runSteps).values([
    {
      runId: "r1",
      hashedId: "a",
      stepId: "a",
      name: "a",
      kind: "run",
      status: "completed",
      startedAt: ago(60),
      endedAt: new Date(ago(60).getTime() + 300),
    },
    {
      runId: "r1",
      hashedId: "b",
      stepId: "b",
      name: "b",
      kind: "run",
      status: "completed",
      startedAt: ago(59),
      endedAt: ago(58),
    },
  ]);
  await db.insert(llmCalls).values([
    {
      runId: "r1",
      stepId: "a",
      workflow: "demo",
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 100,
      outputTokens: 20,
      costNano: 1_500_000n,
      priceSource: "catalogue",
    },
    {
      runId: "r1",
      stepId: "b",
      workflow: "demo",
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 50,
      outputTokens: 10,
      costNano: 500_000n,
      priceSource: "catalogue",
    },
  ]);
  const [b] = await db
    .insert(budgets)
    .values({ name: "daily demo", scope: "workflow", scopeValue: "demo", period: "day", limitNano: 10_000_000_000n })
    .returning();
  await db.insert(budgetCounters).values({
    key: `${b!.id}|2026-11-21`,
    budgetId: b!.id,
    windowStart: ago(3600),
    limitNano: 10_000_000_000n,
    spentNano: 2_000_000_000n,
    reservedNano: 500_000_000n,
  });
  await db.insert(approvals).values({
    runId: "r3",
    workflowId: "other",
    gate: "g",
    action: "do",
    risk: "low",
    status: "pending",
    deciderRole: "approver",
    policyVersion: 1,
    deadlineAt: ago(-3600),
    createdAt: ago(120),
  });
});
afterAll(async () => fresh.drop());

type Family = {
  name: string;
  type: string;
  metrics: {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
};

describe("/api/metrics exposition", () => {
  it("parses with a Prometheus text-format parser and carries the documented families", async () => {
    const m = createMetrics();
    const text = await m.scrape(fresh.db);
    const families = parsePrometheusTextFormat(text) as Family[];
    const fam = (n: string) => families.find((f) => f.name === n);
    const value = (n: string, labels: Record<string, string>) =>
      fam(n)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v))?.value;

    expect(value("wflo_runs", { workflow: "demo", status: "failed" })).toBe("1");
    expect(value("wflo_runs", { workflow: "other", status: "running" })).toBe("1");
    expect(value("wflo_llm_calls_total", { model: "gpt-4o-mini", workflow: "demo", status: "ok" })).toBe("2");
    expect(value("wflo_llm_tokens_total", { model: "gpt-4o-mini", type: "input" })).toBe("150");
    expect(Number(value("wflo_llm_cost_usd_total", { model: "gpt-4o-mini", workflow: "demo" }))).toBeCloseTo(0.002);
    expect(Number(value("wflo_budget_remaining_usd", { budget: "daily demo", period: "day" }))).toBeCloseTo(7.5);
    expect(value("wflo_approvals_pending", { workflow: "other" })).toBe("1");
    expect(Number(value("wflo_approvals_pending_oldest_age_seconds", { workflow: "other" }))).toBeGreaterThanOrEqual(
      119,
    );
    expect(fam("wflo_engine_queue_depth")?.type).toBe("GAUGE");

    const steps = fam("wflo_step_duration_seconds");
    expect(steps?.type).toBe("HISTOGRAM");
    expect(steps?.metrics.length).toBeGreaterThan(0);
    // This parser loses a labelled histogram's labels and _count; read those lines directly.
    expect(text).toMatch(/^wflo_step_duration_seconds_bucket\{le="0.5",workflow="demo",kind="run"\} 1$/m); // 0.3 s in, 1 s out
    expect(text).toMatch(/^wflo_step_duration_seconds_count\{workflow="demo",kind="run"\} 2$/m);
    expect(text).toMatch(/^wflo_run_duration_seconds_count\{workflow="demo",status="failed"\} 1$/m);

    // A second scrape does not count the same rows again; a new call is added once.
    await fresh.db.insert(llmCalls).values({
      runId: "r1",
      stepId: "c",
      workflow: "demo",
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 1,
      outputTokens: 1,
      costNano: 0n,
      priceSource: "catalogue",
    });
    const second = await m.scrape(fresh.db);
    const again = parsePrometheusTextFormat(second) as Family[];
    expect(
      again.find((f) => f.name === "wflo_llm_calls_total")?.metrics.find((x) => x.labels?.workflow === "demo")?.value,
    ).toBe("3");
    expect(second).toMatch(/^wflo_step_duration_seconds_count\{workflow="demo",kind="run"\} 2$/m);
  });

  it("is closed without a token, and checks the token when one is set", () => {
    const req = (auth?: string) =>
      new Request("http://x/api/metrics", { headers: auth ? { authorization: auth } : {} });
    expect(checkMetricsAccess(req(), {})).toMatchObject({ ok: false, status: 403 });
    expect(checkMetricsAccess(req(), { public: "true" })).toEqual({ ok: true });
    expect(checkMetricsAccess(req(), { token: "s3cret-token" })).toMatchObject({ ok: false, status: 401 });
    expect(checkMetricsAccess(req("Bearer wrong"), { token: "s3cret-token" })).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(checkMetricsAccess(req("Bearer s3cret-token"), { token: "s3cret-token" })).toEqual({ ok: true });
  });
});
