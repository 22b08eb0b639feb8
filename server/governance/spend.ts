import { sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { sqlBigint, sqlInt, sqlRow, sqlRows } from "@/db/rows";
import { budgetTimeZone } from "./budgets/timezone";

const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as string | number | bigint));

export type SpendLine = { key: string; calls: number; costNano: bigint; simulatedCalls: number };
export type SpendSummary = {
  timeZone: string;
  todayNano: bigint;
  monthNano: bigint;
  /** Spend over the last hour and the last 24 hours: the burn rate. */
  lastHourNano: bigint;
  last24hNano: bigint;
  /** The tightest enabled global day / month budgets, if any. */
  dayBudgetNano: bigint | null;
  monthBudgetNano: bigint | null;
  topWorkflows: SpendLine[];
  topAgents: SpendLine[];
  callsToday: number;
  simulatedCallsToday: number;
};

/**
 * The dashboard's money header: today / this month (calendar in WFLO_BUDGET_TIMEZONE),
 * burn rate, and top spenders this month. Totals come from the hourly rollup (exact to the
 * hour in whole-hour zones); the last hour and agents read llm_calls by its time index.
 */
export async function getSpendSummary(db: DbOrTx): Promise<SpendSummary> {
  const tz = budgetTimeZone();
  const totals = await sqlRow(
    db,
    sql`
    select coalesce(sum(cost_nano) filter (where hour >= date_trunc('day', now(), ${tz})), 0) as today,
           coalesce(sum(cost_nano), 0) as month,
           coalesce(sum(cost_nano) filter (where hour >= now() - interval '24 hours'), 0) as day24,
           coalesce(sum(calls) filter (where hour >= date_trunc('day', now(), ${tz})), 0) as calls_today,
           coalesce(sum(simulated_calls) filter (where hour >= date_trunc('day', now(), ${tz})), 0) as sim_today
      from llm_cost_rollup where hour >= date_trunc('month', now(), ${tz})`,
    z.object({ today: sqlBigint, month: sqlBigint, day24: sqlBigint, calls_today: sqlInt, sim_today: sqlInt }),
  );
  const hour = await sqlRow(
    db,
    sql`select coalesce(sum(cost_nano), 0) as cost from llm_calls where created_at > now() - interval '1 hour'`,
    z.object({ cost: sqlBigint }),
  );
  const budgets = await sqlRow(
    db,
    sql`
    select min(limit_nano) filter (where period = 'day') as day, min(limit_nano) filter (where period = 'month') as month
      from budgets where scope = 'global' and enabled`,
    z.object({ day: sqlBigint.nullable(), month: sqlBigint.nullable() }),
  );
  const top = async (column: "workflow" | "agent") =>
    (
      await sqlRows(
        db,
        sql`
        select coalesce(${sql.raw(column)}, '') as key, count(*)::int as calls, coalesce(sum(cost_nano), 0) as cost, count(*) filter (where simulated)::int as simulated
          from llm_calls where created_at >= date_trunc('month', now(), ${tz})
         group by 1 order by 3 desc, 1 limit 5`,
        z.object({ key: z.string(), calls: sqlInt, cost: sqlBigint, simulated: sqlInt }),
      )
    ).map(
      (r): SpendLine => ({
        key: String(r.key),
        calls: Number(r.calls),
        costNano: big(r.cost),
        simulatedCalls: Number(r.simulated),
      }),
    );
  return {
    timeZone: tz,
    todayNano: big(totals?.today),
    monthNano: big(totals?.month),
    lastHourNano: big(hour?.cost),
    last24hNano: big(totals?.day24),
    dayBudgetNano: budgets?.day === null || budgets?.day === undefined ? null : big(budgets.day),
    monthBudgetNano: budgets?.month === null || budgets?.month === undefined ? null : big(budgets.month),
    topWorkflows: await top("workflow"),
    topAgents: await top("agent"),
    callsToday: Number(totals?.calls_today ?? 0),
    simulatedCallsToday: Number(totals?.sim_today ?? 0),
  };
}
