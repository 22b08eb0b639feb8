import { bigint, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Runaway guards (server/governance/guards): what stops a workflow that loops. What tells
 * people about it is the notifications domain (./notifications.ts).
 */

/** Per-workflow runaway guards, set by admins. A null limit is off. */
export const workflowGuards = pgTable("workflow_guards", {
  workflowId: text("workflow_id").primaryKey(),
  maxLlmCallsPerRun: integer("max_llm_calls_per_run"),
  maxStepsPerRun: integer("max_steps_per_run"),
  /** The same request (model + system + prompt) more often than this in one run trips the breaker. */
  maxIdenticalCalls: integer("max_identical_calls"),
  /** Burn-rate breaker: spend of the workflow over the last `burnWindowMinutes` above `burnLimitNano` trips it. */
  burnWindowMinutes: integer("burn_window_minutes"),
  burnLimitNano: bigint("burn_limit_nano", { mode: "bigint" }),
  /** Set while the breaker is open: new runs and LLM calls of the workflow are refused until an operator resets it. */
  trippedAt: timestamp("tripped_at", { withTimezone: true }),
  trippedReason: text("tripped_reason"),
  trippedRunId: text("tripped_run_id"),
  version: integer("version").notNull().default(1),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedByEmail: text("updated_by_email"),
});
export type WorkflowGuardRow = typeof workflowGuards.$inferSelect;

/** One row per governed LLM step of a run (a retried step is the same row): counts calls and identical requests. */
export const runLlmSteps = pgTable(
  "run_llm_steps",
  {
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.stepId] }),
    index("run_llm_steps_fingerprint_idx").on(t.runId, t.fingerprint),
  ],
);
