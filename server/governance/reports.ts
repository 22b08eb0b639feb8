import { sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { sqlBigint, sqlInt, sqlRows } from "@/db/rows";
import { fieldError } from "@/server/errors";

type Row = Record<string, unknown>;
const text = z.string().nullable();
/** One grouping set of a run's calls: by (provider, model), by step, by agent, or the total (grouping() bitmasks). */
const breakdownRow = z.object({
  g_model: sqlInt,
  g_step: sqlInt,
  g_agent: sqlInt,
  provider: text,
  model: text,
  step_id: text,
  agent: text,
  calls: sqlInt,
  cost: sqlBigint,
  input: sqlBigint,
  output: sqlBigint,
  simulated: sqlInt,
  failed: sqlInt,
});
const runLimitsRow = z.object({ budget: sqlBigint.nullable(), reserved: sqlBigint });
/** A bucket of the hourly rollup (raw SQL: the timestamp arrives as text). */
const costPointRow = z.object({
  bucket: z.union([z.date(), z.string()]),
  key: text,
  calls: sqlInt,
  cost: sqlBigint,
  simulated: sqlInt,
});
const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as string | number | bigint));

export type CostLine = { calls: number; costNano: bigint; inputTokens: bigint; outputTokens: bigint };

export type CostBreakdown = {
  runId: string;
  totalNano: bigint;
  /** The run's tightest limit: its own (wflo run --budget) or a per-run budget; null when none applies. */
  budgetNano: bigint | null;
  remainingNano: bigint | null;
  exceeded: boolean;
  /** Held by calls still in flight. */
  reservedNano: bigint;
  calls: number;
  simulatedCalls: number;
  failedCalls: number;
  byModel: (CostLine & { provider: string; model: string })[];
  byStep: (CostLine & { stepId: string })[];
  byAgent: (CostLine & { agent: string | null })[];
};

/** What a run cost so far, against its budget, split by model, step and agent (one grouped query over the run's calls). */
export async function getCostBreakdown(db: DbOrTx, runId: string): Promise<CostBreakdown> {
  if (typeof runId !== "string" || !runId.trim()) throw fieldError("bad_request", "runId", "runId must not be blank");
  const rows = await sqlRows(
    db,
    sql`
    select grouping(provider, model) as g_model, grouping(step_id) as g_step, grouping(agent) as g_agent,
           provider, model, step_id, agent,
           count(*)::int as calls, coalesce(sum(cost_nano), 0) as cost, coalesce(sum(input_tokens), 0) as input, coalesce(sum(output_tokens), 0) as output,
           count(*) filter (where simulated)::int as simulated, count(*) filter (where status = 'error')::int as failed
      from llm_calls where run_id = ${runId}
     group by grouping sets ((provider, model), (step_id), (agent), ())`,
    breakdownRow,
  );
  const [limits] = await sqlRows(
    db,
    sql`
    select (select min(limit_nano) from budget_counters where key = ${`runlimit|${runId}`} or (run_id = ${runId} and budget_id is not null)) as budget,
           (select coalesce(sum(amount_nano), 0) from reservations where run_id = ${runId} and status = 'active') as reserved`,
    runLimitsRow,
  );

  const line = (r: Row): CostLine => ({
    calls: Number(r.calls),
    costNano: big(r.cost),
    inputTokens: big(r.input),
    outputTokens: big(r.output),
  });
  // grouping() is a bitmask per argument: the grand total has both provider and model rolled up (3).
  const total = rows.find((r) => Number(r.g_model) === 3 && Number(r.g_step) === 1 && Number(r.g_agent) === 1);
  const totalNano = total ? big(total.cost) : 0n;
  const budgetNano = limits?.budget === null || limits?.budget === undefined ? null : big(limits.budget);
  const byCost = <T extends CostLine>(a: T, b: T) => (b.costNano > a.costNano ? 1 : b.costNano < a.costNano ? -1 : 0);
  return {
    runId,
    totalNano,
    budgetNano,
    remainingNano: budgetNano === null ? null : budgetNano - totalNano,
    exceeded: budgetNano !== null && totalNano > budgetNano,
    reservedNano: big(limits?.reserved),
    calls: total ? Number(total.calls) : 0,
    simulatedCalls: total ? Number(total.simulated) : 0,
    failedCalls: total ? Number(total.failed) : 0,
    byModel: rows
      .filter((r) => Number(r.g_model) === 0)
      .map((r) => ({ provider: String(r.provider), model: String(r.model), ...line(r) }))
      .sort(byCost),
    byStep: rows
      .filter((r) => Number(r.g_step) === 0)
      .map((r) => ({ stepId: String(r.step_id), ...line(r) }))
      .sort(byCost),
    byAgent: rows
      .filter((r) => Number(r.g_agent) === 0)
      .map((r) => ({ agent: r.agent === null ? null : String(r.agent), ...line(r) }))
      .sort(byCost),
  };
}

export const costOverTimeInput = z.object({
  from: z.coerce.date({ error: "from must be a date" }),
  to: z.coerce.date({ error: "to must be a date" }),
  bucket: z
    .enum(["hour", "day", "week", "month"], { error: "bucket must be one of: hour, day, week, month" })
    .default("day"),
  groupBy: z
    .enum(["model", "provider", "workflow"], { error: "groupBy must be one of: model, provider, workflow" })
    .default("model"),
  /** IANA zone the buckets start in; default UTC. */
  timeZone: z
    .string()
    .default("UTC")
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "timeZone must be an IANA time zone such as UTC or Europe/Berlin"),
  workflow: z.string().optional(),
});
export type CostOverTimeInput = z.input<typeof costOverTimeInput>;
export type CostOverTime = z.output<typeof costOverTimeInput>;
export type CostPoint = { bucket: Date; key: string; calls: number; costNano: bigint; simulatedCalls: number };

/**
 * Spend per time bucket and model/provider/workflow, from the hourly rollup (never a scan of
 * llm_calls). Hour-granular: a bucket in a zone with a 30-minute offset is approximate.
 */
/** `p` is parsed by the caller with `costOverTimeInput` (the router's `.input`). */
export async function getCostOverTime(db: DbOrTx, p: CostOverTime): Promise<CostPoint[]> {
  if (p.to <= p.from) throw fieldError("bad_request", "to", "must be after from");
  const key =
    p.groupBy === "model" ? sql.raw("model") : p.groupBy === "provider" ? sql.raw("provider") : sql.raw("workflow");
  const rows = await sqlRows(
    db,
    sql`
    select date_trunc(${p.bucket}, hour, ${p.timeZone}) as bucket, ${key} as key,
           sum(calls)::bigint as calls, sum(cost_nano) as cost, sum(simulated_calls)::bigint as simulated
      from llm_cost_rollup
     where hour >= ${p.from.toISOString()}::timestamptz and hour < ${p.to.toISOString()}::timestamptz
       ${p.workflow !== undefined ? sql`and workflow = ${p.workflow}` : sql``}
     group by 1, 2 order by 1, 2`,
    costPointRow,
  );
  return rows.map((r) => ({
    bucket: new Date(r.bucket),
    key: String(r.key),
    calls: Number(r.calls),
    costNano: big(r.cost),
    simulatedCalls: Number(r.simulated),
  }));
}

/** Rebuilds the hourly rollup from llm_calls (after a bulk import or a restore). */
export async function rebuildCostRollup(db: DbOrTx): Promise<void> {
  await db.execute(sql`delete from llm_cost_rollup`);
  await db.execute(sql`
    insert into llm_cost_rollup (hour, provider, model, workflow, calls, cost_nano, input_tokens, output_tokens, simulated_calls)
    select date_trunc('hour', created_at, 'UTC'), provider, model, coalesce(workflow, ''), count(*), sum(cost_nano), sum(input_tokens), sum(output_tokens),
           count(*) filter (where simulated)
      from llm_calls group by 1, 2, 3, 4`);
}
