import { sql } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "@/db/client";

/**
 * wflo's Prometheus metrics, read from PostgreSQL at scrape time, so they are the same whichever
 * process (or Inngest server) ran the work, and so no hot path (the middleware, settle) has to
 * call into metrics code.
 *
 * - State (runs by status, budgets, approvals, queue depth) are gauges recomputed each scrape.
 * - Events (step/run durations, LLM calls, tokens, cost) are counters and histograms fed
 *   incrementally from a watermark (highest llm_calls.id, latest ended_at seen), so each row is
 *   counted once per process: cumulative like Prometheus expects, reset on restart like any
 *   process counter (rate() handles that).
 */

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown) => (typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : Number(v ?? 0));

async function rows(db: Database, q: ReturnType<typeof sql>): Promise<Row[]> {
  return (await db.execute(q)) as unknown as Row[];
}

export function createMetrics() {
  const registry = new Registry();
  const runs = new Gauge({
    name: "wflo_runs",
    help: "Runs by workflow and current status.",
    labelNames: ["workflow", "status"] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: "wflo_step_duration_seconds",
    help: "Duration of finished steps, by workflow and step kind.",
    labelNames: ["workflow", "kind"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const runDuration = new Histogram({
    name: "wflo_run_duration_seconds",
    help: "Duration of finished runs, by workflow and final status.",
    labelNames: ["workflow", "status"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const llmCalls = new Counter({
    name: "wflo_llm_calls_total",
    help: "Governed LLM calls, by provider, model, workflow and status.",
    labelNames: ["provider", "model", "workflow", "status"] as const,
    registers: [registry],
  });
  const llmTokens = new Counter({
    name: "wflo_llm_tokens_total",
    help: "LLM tokens, by model, workflow and type (input, output).",
    labelNames: ["model", "workflow", "type"] as const,
    registers: [registry],
  });
  const llmCost = new Counter({
    name: "wflo_llm_cost_usd_total",
    help: "LLM spend in USD, by model and workflow (exact sums live in PostgreSQL; this is for graphs).",
    labelNames: ["model", "workflow"] as const,
    registers: [registry],
  });
  const budgetRemaining = new Gauge({
    name: "wflo_budget_remaining_usd",
    help: "Budget left in the current window (limit - spent - reserved), USD.",
    labelNames: ["budget", "scope", "scope_value", "period"] as const,
    registers: [registry],
  });
  const budgetLimit = new Gauge({
    name: "wflo_budget_limit_usd",
    help: "Budget limit, USD.",
    labelNames: ["budget", "scope", "scope_value", "period"] as const,
    registers: [registry],
  });
  const approvalsPending = new Gauge({
    name: "wflo_approvals_pending",
    help: "Approvals waiting for a decision, by workflow.",
    labelNames: ["workflow"] as const,
    registers: [registry],
  });
  const approvalsAge = new Gauge({
    name: "wflo_approvals_pending_oldest_age_seconds",
    help: "Age of the oldest pending approval, by workflow.",
    labelNames: ["workflow"] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "wflo_engine_queue_depth",
    help: "Embedded engine queue items, by kind and state (due: runnable now; scheduled: later; leased: being worked).",
    labelNames: ["kind", "state"] as const,
    registers: [registry],
  });
  const spansIngested = new Counter({
    name: "wflo_otlp_spans_ingested_total",
    help: "Spans accepted on /api/v1/traces by this process.",
    registers: [registry],
  });
  const spansRejected = new Counter({
    name: "wflo_otlp_requests_rejected_total",
    help: "OTLP ingest requests refused by this process, by HTTP status.",
    labelNames: ["status"] as const,
    registers: [registry],
  });

  let lastCallId = 0;
  // Watermarks as PostgreSQL's own text: a JS Date would drop the microseconds and count a row twice.
  let lastStepEnd = "1970-01-01 00:00:00+00";
  let lastRunEnd = "1970-01-01 00:00:00+00";
  let chain: Promise<unknown> = Promise.resolve();

  async function refresh(db: Database) {
    const [runRows, budgetRows, approvalRows, queueRows] = await Promise.all([
      rows(db, sql`select workflow_id, status::text as status, count(*)::int as n from runs group by 1, 2`),
      rows(
        db,
        sql`select distinct on (b.id) b.name, b.scope::text as scope, b.scope_value, b.period::text as period, b.limit_nano, coalesce(c.spent_nano, 0) as spent, coalesce(c.reserved_nano, 0) as reserved
            from budgets b left join budget_counters c on c.budget_id = b.id and c.run_id is null
            where b.enabled and b.period <> 'run'
            order by b.id, c.window_start desc nulls last`,
      ),
      rows(
        db,
        sql`select workflow_id, count(*)::int as n, extract(epoch from now() - min(created_at))::float8 as age from approvals where status = 'pending' group by 1`,
      ),
      rows(
        db,
        sql`select kind, case when lease_until is not null and lease_until > now() then 'leased' when due_at <= now() then 'due' else 'scheduled' end as state, count(*)::int as n from engine_queue group by 1, 2`,
      ),
    ]);
    runs.reset();
    for (const r of runRows) runs.set({ workflow: str(r.workflow_id), status: str(r.status) }, num(r.n));
    budgetRemaining.reset();
    budgetLimit.reset();
    for (const r of budgetRows) {
      const labels = {
        budget: str(r.name),
        scope: str(r.scope),
        scope_value: str(r.scope_value),
        period: str(r.period),
      };
      budgetLimit.set(labels, num(r.limit_nano) / 1e9);
      budgetRemaining.set(labels, (num(r.limit_nano) - num(r.spent) - num(r.reserved)) / 1e9);
    }
    approvalsPending.reset();
    approvalsAge.reset();
    for (const r of approvalRows) {
      approvalsPending.set({ workflow: str(r.workflow_id) }, num(r.n));
      approvalsAge.set({ workflow: str(r.workflow_id) }, num(r.age));
    }
    queueDepth.reset();
    for (const r of queueRows) queueDepth.set({ kind: str(r.kind), state: str(r.state) }, num(r.n));

    // Events since the last scrape. A row committed late with an earlier ended_at than the
    // watermark is missed; acceptable for a dashboard, and exact totals stay in PostgreSQL.
    const calls = await rows(
      db,
      sql`select id, provider, model, coalesce(workflow, '') as workflow, status, input_tokens, output_tokens, cost_nano from llm_calls where id > ${lastCallId} order by id limit 50000`,
    );
    for (const c of calls) {
      const workflow = str(c.workflow);
      llmCalls.inc({ provider: str(c.provider), model: str(c.model), workflow, status: str(c.status) });
      llmTokens.inc({ model: str(c.model), workflow, type: "input" }, num(c.input_tokens));
      llmTokens.inc({ model: str(c.model), workflow, type: "output" }, num(c.output_tokens));
      llmCost.inc({ model: str(c.model), workflow }, num(c.cost_nano) / 1e9);
      lastCallId = Math.max(lastCallId, num(c.id));
    }
    const steps = await rows(
      db,
      sql`select r.workflow_id, s.kind, extract(epoch from s.ended_at - s.started_at)::float8 as secs, s.ended_at::text as mark from run_steps s join runs r on r.id = s.run_id where s.ended_at > ${lastStepEnd}::timestamptz order by s.ended_at limit 50000`,
    );
    for (const s of steps) {
      stepDuration.observe({ workflow: str(s.workflow_id), kind: str(s.kind) }, Math.max(0, num(s.secs)));
      lastStepEnd = str(s.mark); // rows come in ended_at order
    }
    const finished = await rows(
      db,
      sql`select workflow_id, status::text as status, extract(epoch from ended_at - started_at)::float8 as secs, ended_at::text as mark from runs where ended_at > ${lastRunEnd}::timestamptz order by ended_at limit 50000`,
    );
    for (const r of finished) {
      runDuration.observe({ workflow: str(r.workflow_id), status: str(r.status) }, Math.max(0, num(r.secs)));
      lastRunEnd = str(r.mark);
    }
  }

  return {
    registry,
    spansIngested,
    spansRejected,
    /** The text exposition after a refresh; concurrent scrapes queue so no row is counted twice. */
    async scrape(db: Database): Promise<string> {
      const next = chain.then(() => refresh(db));
      chain = next.catch(() => undefined);
      await next;
      return registry.metrics();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The process's metrics (one per server; kept on globalThis so dev reloads do not start over). */
export function appMetrics(): Metrics {
  const g = globalThis as { __wfloMetrics?: Metrics };
  g.__wfloMetrics ??= createMetrics();
  return g.__wfloMetrics;
}
