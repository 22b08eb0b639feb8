/**
 * Cost governance figures (`npm run bench -- governance`), on its own embedded PostgreSQL
 * (.wflo/bench-pg, port WFLO_BENCH_PG_PORT or 54370):
 *   budget.reservations_per_s     reserve+settle cycles/s, 32 workers in 2 OS processes, one hot budget
 *   budget.commit_floor_per_s     the same run's physical floor: single-row INSERT commits/s on one connection
 *   budget.reservations_vs_floor  reservations_per_s / commit_floor_per_s (the machine is shared and noisy: compare this)
 *   budget.overspend_usd          how far spend passed the limit when the budget affords half the calls (must be 0)
 *   budget.utilization            spent / limit in that run
 *   tracking.overhead_us_per_call usage extraction + price lookup + exact cost, per call, no I/O
 *   dashboard.cost_query_ms_1m    cost by model per day over 30 days with 1,000,000 llm_calls stored
 */
import path from "node:path";
import postgres from "postgres";
import { createDb } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { runMigrations } from "@/db/migrate";
import { createBudgetInput } from "@/server/governance/budgets/schemas";
import { createBudget } from "@/server/governance/budgets/service";
import { PriceBook } from "@/server/governance/pricing/price-book";
import { costOf } from "@/server/governance/pricing/rates";
import { costOverTimeInput, getCostOverTime, rebuildCostRollup } from "@/server/governance/reports";
import { runCalls } from "@/server/governance/testing/reserve-worker";
import { spawnWorker } from "@/server/governance/testing/spawn-worker";
import { extractUsage } from "@/server/governance/usage/extract";

type Metric = { value: number; unit: string };
const admin = { id: null, email: "bench@example.com" };

async function freshDb(adminUrl: string, name: string, keep = false): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const exists = (await sql`select 1 from pg_database where datname = ${name}`).length > 0;
    if (exists && keep) return withDb(adminUrl, name);
    if (exists) await sql.unsafe(`drop database "${name}" with (force)`);
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
  const url = withDb(adminUrl, name);
  await runMigrations(url);
  return url;
}

function withDb(url: string, db: string) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Half the cycles in a child process, half here, 16 concurrent loops each, all on one budget. */
async function twoProcesses(
  url: string,
  calls: number,
  estimateNano: bigint,
  actualNano: bigint,
  latencyMs: number,
  maxMs?: number,
) {
  const { db, sql } = createDb(url, { max: 4 });
  const opts = {
    calls: calls / 2,
    workers: 16,
    estimateNano: estimateNano.toString(),
    actualNano: actualNano.toString(),
    latencyMs,
    workflow: "bench",
    maxMs,
  };
  const child = spawnWorker(url, { ...opts, name: "child" });
  await child.ready;
  await runCalls(db, { ...opts, calls: 64, name: "warmup" });
  const t0 = performance.now();
  child.go();
  const [a, b] = await Promise.all([runCalls(db, { ...opts, name: "parent" }), child.done]);
  const seconds = (performance.now() - t0) / 1000;
  await sql.end();
  return { reserved: a.reserved + b.reserved, refused: a.refused + b.refused, seconds };
}

/** Single-row INSERT commits per second on one connection: what one durable commit costs here, now. */
async function commitFloor(url: string, n = 300): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`create table if not exists bench_commit_floor (id bigserial primary key, v int not null)`;
    for (let i = 0; i < 20; i++) await sql`insert into bench_commit_floor (v) values (${i})`;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await sql`insert into bench_commit_floor (v) values (${i})`;
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await sql.end();
  }
}

async function budgets(adminUrl: string): Promise<Record<string, Metric>> {
  const out: Record<string, Metric> = {};
  // Throughput: a budget that never runs out, so every cycle is a full reserve + settle.
  {
    const url = await freshDb(adminUrl, "wflo_bench_gov");
    const { db, sql } = createDb(url, { max: 2 });
    await createBudget(
      db,
      admin,
      createBudgetInput.parse({
        name: "Hot",
        scope: "workflow",
        scopeValue: "bench",
        period: "day",
        limitUsd: "1000000",
      }),
      ["bench"],
    );
    await createBudget(
      db,
      admin,
      createBudgetInput.parse({ name: "Global", scope: "global", period: "month", limitUsd: "1000000" }),
      ["bench"],
    );
    await sql.end();
    // The floor is measured just before and just after, so both see the same machine load.
    const before = await commitFloor(url);
    const r = await twoProcesses(url, 12_000, 1_000_000n, 900_000n, 0, 8_000);
    const floor = (before + (await commitFloor(url))) / 2;
    out["budget.reservations_per_s"] = { value: r.reserved / r.seconds, unit: "cycles/s" };
    out["budget.commit_floor_per_s"] = { value: floor, unit: "commits/s" };
    out["budget.reservations_vs_floor"] = { value: r.reserved / r.seconds / floor, unit: "ratio" };
  }
  // Safety: a budget that affords half the calls, calls with provider latency, actual = 98 % of estimate.
  {
    const url = await freshDb(adminUrl, "wflo_bench_gov");
    const { db, sql } = createDb(url, { max: 2 });
    const estimate = 10_000_000n;
    const calls = 2_000;
    const b = await createBudget(
      db,
      admin,
      createBudgetInput.parse({
        name: "Half",
        scope: "workflow",
        scopeValue: "bench",
        period: "day",
        limitUsd: String((Number(estimate) * calls) / 2 / 1e9),
      }),
      ["bench"],
    );
    await twoProcesses(url, calls, estimate, (estimate * 98n) / 100n, 5);
    const [row] = await sql<
      { spent: string; limit: string }[]
    >`select spent_nano::text as spent, limit_nano::text as limit from budget_counters where budget_id = ${b.id}`;
    await sql.end();
    const spent = BigInt(row!.spent);
    const limit = BigInt(row!.limit);
    out["budget.overspend_usd"] = { value: spent > limit ? Number(spent - limit) / 1e9 : 0, unit: "USD" };
    out["budget.utilization"] = { value: Number(spent) / Number(limit), unit: "ratio" };
  }
  return out;
}

function trackingOverhead(): Metric {
  const responses: [unknown, string][] = [
    [
      {
        object: "chat.completion",
        model: "gpt-4o-mini",
        usage: {
          prompt_tokens: 1200,
          completion_tokens: 300,
          prompt_tokens_details: { cached_tokens: 1024 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
      "gpt-4o-mini",
    ],
    [
      {
        object: "response",
        model: "o3-mini",
        usage: {
          input_tokens: 800,
          output_tokens: 500,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens_details: { reasoning_tokens: 256 },
        },
      },
      "o3-mini",
    ],
    [
      {
        type: "message",
        model: "claude-sonnet-4-5",
        usage: { input_tokens: 50, output_tokens: 400, cache_creation_input_tokens: 2000, cache_read_input_tokens: 0 },
      },
      "claude-sonnet-4-5",
    ],
    [
      {
        modelVersion: "gemini-2.5-flash",
        usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 120, thoughtsTokenCount: 64 },
      },
      "gemini-2.5-flash",
    ],
    [
      {
        content: "x",
        usage_metadata: { input_tokens: 100, output_tokens: 20, input_token_details: { cache_read: 0 } },
        response_metadata: { model_name: "gpt-4o" },
      },
      "gpt-4o",
    ],
  ];
  const book = new PriceBook([]);
  const once = (i: number) => {
    const [res, model] = responses[i % responses.length]!;
    const u = extractUsage(res, { model });
    const p = book.resolve(u.model ?? model, u.provider);
    return p ? costOf(u, p.rates) : 0n;
  };
  for (let i = 0; i < 5_000; i++) once(i);
  const n = 200_000;
  let sink = 0n;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += once(i);
  const us = ((performance.now() - t0) * 1000) / n;
  if (sink <= 0n) throw new Error("nothing was priced");
  return { value: us, unit: "µs/call" };
}

async function dashboard(adminUrl: string): Promise<Metric> {
  const url = await freshDb(adminUrl, "wflo_bench_gov_1m", true);
  const { db, sql } = createDb(url, { max: 2 });
  const [{ n }] = (await sql<{ n: number }[]>`select count(*)::int as n from llm_calls`) as unknown as [{ n: number }];
  if (n < 1_000_000) {
    await sql`truncate llm_calls`;
    // 1,000,000 calls over 90 days, 8 models, 6 workflows, 2,000 runs.
    await sql`
      insert into llm_calls (run_id, step_id, workflow, provider, model, input_tokens, output_tokens, cost_nano, price_source, created_at)
      select 'run-' || (g % 2000), 'step-' || (g % 7), 'wf-' || (g % 6),
             case when g % 8 < 4 then 'openai' when g % 8 < 6 then 'anthropic' else 'google' end,
             (array['gpt-4o','gpt-4o-mini','o3-mini','gpt-4.1','claude-sonnet-4-5','claude-3-5-haiku-latest','gemini-2.5-flash','gemini-2.5-pro'])[1 + g % 8],
             500 + g % 1500, 50 + g % 500, 1000 + (g % 100000), 'catalogue',
             now() - (g % (90 * 24 * 60)) * interval '1 minute'
        from generate_series(1, 1000000) g`;
    await rebuildCostRollup(db);
  }
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const points = await getCostOverTime(db, costOverTimeInput.parse({ from, to, bucket: "day", groupBy: "model" }));
    times.push(performance.now() - t0);
    if (points.length < 30 * 8) throw new Error(`expected a point per day and model, got ${points.length}`);
  }
  await sql.end();
  times.sort((a, b) => a - b);
  return { value: times[Math.floor(times.length / 2)]!, unit: "ms (median)" };
}

export async function run(): Promise<Record<string, Metric>> {
  const pg = await startEmbeddedPostgres({
    dir: path.join(process.cwd(), ".wflo", "bench-pg"),
    port: Number(process.env.WFLO_BENCH_PG_PORT ?? 54370),
    database: "postgres",
  });
  try {
    const tracking = trackingOverhead();
    const b = await budgets(pg.url);
    const dash = await dashboard(pg.url);
    return { ...b, "tracking.overhead_us_per_call": tracking, "dashboard.cost_query_ms_1m": dash };
  } finally {
    await pg.stop();
  }
}
