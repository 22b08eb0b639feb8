import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { RUN_STATUSES, type RunStatus } from "@/db/schema";
import { RANGES, type RangeKey } from "./schemas";

export type RunBucket = { start: Date } & Record<RunStatus, number>;

export type DashboardOverview = {
  range: RangeKey;
  from: Date;
  to: Date;
  buckets: RunBucket[];
  totals: Record<RunStatus, number>;
  active: number;
  errorRate: number | null;
  runLatencyMs: { p50: number | null; p95: number | null };
  stepLatencyMs: { p50: number | null; p95: number | null };
};

const emptyCounts = (): Record<RunStatus, number> =>
  Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Runs by status over time, latency percentiles and error rate for one range. Bucketing and
 * percentiles run in PostgreSQL (date_bin, percentile_cont) on indexed started_at ranges.
 */
export async function dashboardOverview(db: Database, range: RangeKey, now = new Date()): Promise<DashboardOverview> {
  const { ms, bucketMs } = RANGES[range];
  const to = now;
  const origin = new Date(Math.floor((to.getTime() - ms) / bucketMs) * bucketMs);
  const from = origin;
  const interval = `${bucketMs / 1000} seconds`;
  // Raw SQL through Drizzle's postgres-js driver takes timestamps as ISO strings, not Dates.
  const [fromIso, toIso, originIso] = [from.toISOString(), to.toISOString(), origin.toISOString()];

  // People's runs only: wflo's own scheduled system runs (runs.system) tick every minute.
  const [byBucket, runLatency, stepLatency, active] = await Promise.all([
    db.execute<{ bucket: Date; status: RunStatus; n: number }>(sql`
      select date_bin(${interval}::interval, started_at, ${originIso}::timestamptz) as bucket, status, count(*)::int as n
      from runs where started_at >= ${fromIso} and started_at <= ${toIso} and not system
      group by 1, 2`),
    db.execute<{ p50: number | null; p95: number | null }>(sql`
      select percentile_cont(0.5) within group (order by extract(epoch from ended_at - started_at) * 1000) as p50,
             percentile_cont(0.95) within group (order by extract(epoch from ended_at - started_at) * 1000) as p95
      from runs where started_at >= ${fromIso} and ended_at is not null and status = 'completed' and not system`),
    db.execute<{ p50: number | null; p95: number | null }>(sql`
      select percentile_cont(0.5) within group (order by extract(epoch from ended_at - started_at) * 1000) as p50,
             percentile_cont(0.95) within group (order by extract(epoch from ended_at - started_at) * 1000) as p95
      from run_steps where started_at >= ${fromIso} and ended_at is not null and kind = 'run'
        and run_id not in (select id from runs where system)`),
    db.execute<{ n: number }>(
      sql`select count(*)::int as n from runs where status in ('queued', 'running', 'sleeping', 'waiting') and not system`,
    ),
  ]);

  const buckets = new Map<number, RunBucket>();
  for (let t = origin.getTime(); t <= to.getTime(); t += bucketMs)
    buckets.set(t, { start: new Date(t), ...emptyCounts() });
  const totals = emptyCounts();
  for (const row of byBucket) {
    const b = buckets.get(new Date(row.bucket).getTime());
    if (b) b[row.status] += row.n;
    totals[row.status] += row.n;
  }
  const finished = totals.completed + totals.failed;
  return {
    range,
    from,
    to,
    buckets: [...buckets.values()],
    totals,
    active: active[0]?.n ?? 0,
    errorRate: finished ? totals.failed / finished : null,
    runLatencyMs: { p50: num(runLatency[0]?.p50), p95: num(runLatency[0]?.p95) },
    stepLatencyMs: { p50: num(stepLatency[0]?.p50), p95: num(stepLatency[0]?.p95) },
  };
}
