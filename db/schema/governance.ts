import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * Cost governance (server/governance). Money is integer nano-dollars (1e-9 USD) in
 * bigint columns, read back as JS bigint (db/client.ts maps int8 to BigInt); token
 * prices are nano-dollars per million tokens so catalogue prices like $0.0375/Mtok
 * stay exact integers.
 *
 * The hot path (reserve/settle) runs in the plpgsql functions of the migration
 * `governance_functions`; these tables are what they read and write.
 */

// ------------------------------------------------------------------ pricing

/**
 * Admin price overrides and custom models, versioned: an edit inserts a new row with a
 * higher version; a call records the id of the row it was charged at, so old calls keep
 * their price. `removed` marks a version that withdraws the override (back to the catalogue).
 */
export const modelPrices = pgTable(
  "model_prices",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    provider: text("provider").notNull(),
    /** Lower-cased model id, matched exactly. */
    model: text("model").notNull(),
    version: integer("version").notNull(),
    currency: text("currency").notNull().default("USD"),
    inputPerMtokNano: bigint("input_per_mtok_nano", { mode: "bigint" }).notNull(),
    outputPerMtokNano: bigint("output_per_mtok_nano", { mode: "bigint" }).notNull(),
    /** Null: charged at the input rate. */
    cachedInputPerMtokNano: bigint("cached_input_per_mtok_nano", { mode: "bigint" }),
    /** Null: charged at the input rate. */
    cacheWritePerMtokNano: bigint("cache_write_per_mtok_nano", { mode: "bigint" }),
    /** Null: charged at the output rate. */
    reasoningPerMtokNano: bigint("reasoning_per_mtok_nano", { mode: "bigint" }),
    perRequestNano: bigint("per_request_nano", { mode: "bigint" }).notNull().default(sql`0`),
    removed: boolean("removed").notNull().default(false),
    note: text("note").notNull().default(""),
    effectiveFrom: timestamp("effective_from", { withTimezone: true }).notNull().defaultNow(),
    createdByEmail: text("created_by_email").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("model_prices_model_version_uq").on(t.provider, t.model, t.version),
    index("model_prices_model_effective_idx").on(t.model, t.effectiveFrom),
  ],
);
export type ModelPriceRow = typeof modelPrices.$inferSelect;

/** One row (id = 1): governance switches an admin can flip. */
export const governanceSettings = pgTable(
  "governance_settings",
  {
    id: integer("id").primaryKey().default(1),
    /** When false, a call to a model without a price is refused if any budget applies to it. */
    allowUnpricedModels: boolean("allow_unpriced_models").notNull().default(false),
    version: integer("version").notNull().default(1),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    updatedByEmail: text("updated_by_email"),
  },
  (t) => [check("governance_settings_single_row", sql`${t.id} = 1`)],
);

// ------------------------------------------------------------------ budgets

export const BUDGET_SCOPES = ["global", "workflow", "agent", "user", "api_key", "tag"] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ["run", "hour", "day", "week", "month", "lifetime"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export const budgetScope = pgEnum("budget_scope", BUDGET_SCOPES);
export const budgetPeriod = pgEnum("budget_period", BUDGET_PERIODS);

export const budgets = pgTable(
  "budgets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    scope: budgetScope("scope").notNull(),
    /** '' for the global scope; otherwise the workflow id, agent name, user id, API key id or tag. */
    scopeValue: text("scope_value").notNull().default(""),
    period: budgetPeriod("period").notNull(),
    limitNano: bigint("limit_nano", { mode: "bigint" }).notNull(),
    /** Percentages of the limit at which an alert is recorded once per window. */
    alertThresholds: integer("alert_thresholds").array().notNull().default(sql`'{50,80,100}'::integer[]`),
    enabled: boolean("enabled").notNull().default(true),
    /** Optimistic concurrency: an edit names the version it read. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("budgets_scope_period_uq").on(t.scope, t.scopeValue, t.period),
    check("budgets_limit_nonneg", sql`${t.limitNano} >= 0`),
  ],
);
export type BudgetRow = typeof budgets.$inferSelect;

/**
 * Spend per budget and period window, plus per-run limits given at trigger time. The key
 * is '<budget id>|<window>' (window: an ISO start in the budget time zone, 'run:<id>' or
 * 'lifetime') or 'runlimit|<run id>'. The limit is copied here so a reservation is one
 * locked row check; budget edits update it in the same transaction.
 */
export const budgetCounters = pgTable(
  "budget_counters",
  {
    key: text("key").primaryKey(),
    budgetId: uuid("budget_id").references(() => budgets.id, { onDelete: "cascade" }),
    runId: text("run_id"),
    windowStart: timestamp("window_start", { withTimezone: true }),
    limitNano: bigint("limit_nano", { mode: "bigint" }).notNull(),
    spentNano: bigint("spent_nano", { mode: "bigint" }).notNull().default(sql`0`),
    reservedNano: bigint("reserved_nano", { mode: "bigint" }).notNull().default(sql`0`),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("budget_counters_budget_idx").on(t.budgetId, t.windowStart),
    index("budget_counters_run_idx").on(t.runId),
    check("budget_counters_reserved_nonneg", sql`${t.reservedNano} >= 0`),
  ],
);
export type BudgetCounterRow = typeof budgetCounters.$inferSelect;

export const RESERVATION_STATUSES = ["active", "settled", "released", "expired"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
export const reservationStatus = pgEnum("reservation_status", RESERVATION_STATUSES);

export const reservations = pgTable(
  "reservations",
  {
    id: uuid("id").primaryKey(),
    /** Lets a retried durable step get its earlier reservation back instead of reserving twice. */
    idempotencyKey: text("idempotency_key"),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    workflow: text("workflow"),
    agent: text("agent"),
    userId: text("user_id"),
    apiKeyId: text("api_key_id"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    /** The budget_counters keys this reservation holds money on. */
    counterKeys: text("counter_keys").array().notNull(),
    amountNano: bigint("amount_nano", { mode: "bigint" }).notNull(),
    status: reservationStatus("status").notNull().default("active"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    callId: bigint("call_id", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("reservations_idempotency_uq").on(t.idempotencyKey),
    index("reservations_active_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'active'`),
    index("reservations_run_idx").on(t.runId),
  ],
);
export type ReservationRow = typeof reservations.$inferSelect;

export const LLM_CALL_STATUSES = ["ok", "error"] as const;
export type LlmCallStatus = (typeof LLM_CALL_STATUSES)[number];

/** Per-token rates a call was charged at, nano-dollars per million tokens, as decimal strings. */
export type ChargedRates = {
  input: string;
  output: string;
  cachedInput: string;
  cacheWrite: string;
  reasoning: string;
  perRequest: string;
};

export const llmCalls = pgTable(
  "llm_calls",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    reservationId: uuid("reservation_id"),
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    workflow: text("workflow"),
    agent: text("agent"),
    userId: text("user_id"),
    apiKeyId: text("api_key_id"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    cachedInputTokens: integer("cached_input_tokens").notNull().default(0),
    cacheWriteTokens: integer("cache_write_tokens").notNull().default(0),
    reasoningTokens: integer("reasoning_tokens").notNull().default(0),
    costNano: bigint("cost_nano", { mode: "bigint" }).notNull(),
    /** model_prices.id of an override; null when priced from the catalogue or unpriced. */
    priceVersionId: bigint("price_version_id", { mode: "number" }),
    /** 'override', 'catalogue' or 'unpriced'. */
    priceSource: text("price_source").notNull(),
    rates: jsonb("rates").$type<ChargedRates>(),
    latencyMs: integer("latency_ms"),
    status: text("status").$type<LlmCallStatus>().notNull().default("ok"),
    /** Calls answered by the demo provider: shown as simulated everywhere. */
    simulated: boolean("simulated").notNull().default(false),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("llm_calls_run_idx").on(t.runId, t.createdAt),
    index("llm_calls_created_idx").on(t.createdAt),
    uniqueIndex("llm_calls_reservation_uq").on(t.reservationId),
  ],
);
export type LlmCallRow = typeof llmCalls.$inferSelect;

/**
 * The provider's raw result of a successful governed call made with an idempotency key (its
 * JSON, at most 4 MiB), so a durable step retried after the call was settled but before the
 * step's own result was saved gets the recorded result back instead of calling and paying
 * again (server/governance/track.ts). Written before the settle; it counts only once its
 * reservation's llm_calls row exists with status 'ok'. Keyed by the idempotency key, so a
 * later successful attempt of the same step replaces an earlier unsettled one.
 */
export const llmCallResults = pgTable(
  "llm_call_results",
  {
    idempotencyKey: text("idempotency_key").primaryKey(),
    reservationId: uuid("reservation_id").notNull(),
    result: jsonb("result").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("llm_call_results_reservation_idx").on(t.reservationId)],
);
export type LlmCallResultRow = typeof llmCallResults.$inferSelect;

/**
 * Spend per hour x provider x model x workflow, maintained by settle, so dashboards never
 * scan llm_calls. `workflow` is '' when a call had none.
 */
export const llmCostRollup = pgTable(
  "llm_cost_rollup",
  {
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    workflow: text("workflow").notNull(),
    calls: bigint("calls", { mode: "bigint" }).notNull().default(sql`0`),
    costNano: bigint("cost_nano", { mode: "bigint" }).notNull().default(sql`0`),
    inputTokens: bigint("input_tokens", { mode: "bigint" }).notNull().default(sql`0`),
    outputTokens: bigint("output_tokens", { mode: "bigint" }).notNull().default(sql`0`),
    simulatedCalls: bigint("simulated_calls", { mode: "bigint" }).notNull().default(sql`0`),
  },
  (t) => [primaryKey({ columns: [t.hour, t.provider, t.model, t.workflow] })],
);

/** A threshold crossing, recorded once per budget, window and threshold, for notifications. */
export const budgetAlerts = pgTable(
  "budget_alerts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    budgetId: uuid("budget_id")
      .notNull()
      .references(() => budgets.id, { onDelete: "cascade" }),
    counterKey: text("counter_key").notNull(),
    thresholdPct: integer("threshold_pct").notNull(),
    spentNano: bigint("spent_nano", { mode: "bigint" }).notNull(),
    limitNano: bigint("limit_nano", { mode: "bigint" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set by whoever delivers the notification (the lead's notifier). */
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("budget_alerts_once_uq").on(t.counterKey, t.thresholdPct),
    index("budget_alerts_created_idx").on(t.createdAt),
  ],
);
export type BudgetAlertRow = typeof budgetAlerts.$inferSelect;
