import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Sandboxed execution (server/sandbox): what a workflow may run, and every execution it ran.
 * An execution row carries everything its trace span will (code, limits, outcome, output,
 * usage, timings) until the trace explorer exists.
 */

/** Limits as stored: each optional so a policy can leave one at wflo's default. */
export type StoredSandboxLimits = {
  timeoutMs?: number;
  memoryMb?: number;
  cpuSeconds?: number;
  maxOutputBytes?: number;
};

/** Per-workflow sandbox policy; a workflow without a row gets wflo's defaults (server/sandbox/policy.ts). */
export const sandboxPolicies = pgTable("sandbox_policies", {
  workflowId: text("workflow_id").primaryKey(),
  languages: text("languages").array().notNull(),
  providers: text("providers").array().notNull(),
  defaults: jsonb("defaults").$type<StoredSandboxLimits>().notNull(),
  maximums: jsonb("maximums").$type<StoredSandboxLimits>().notNull(),
  /** Off by default; when on, only `networkHosts` may be asked for. */
  networkAllowed: boolean("network_allowed").notNull().default(false),
  networkHosts: text("network_hosts").array().notNull().default([]),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedByEmail: text("updated_by_email"),
});
export type SandboxPolicyRow = typeof sandboxPolicies.$inferSelect;

/** One row per execution attempt (a retried step runs, and is recorded, again). */
export const sandboxExecutions = pgTable(
  "sandbox_executions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Not a foreign key: executions outside a recorded run (tests, the bench) are kept too. */
    runId: text("run_id"),
    stepId: text("step_id"),
    workflowId: text("workflow_id"),
    attempt: integer("attempt").notNull().default(0),
    provider: text("provider").notNull(),
    language: text("language").notNull(),
    code: text("code").notNull(),
    limits: jsonb("limits").notNull(),
    network: jsonb("network"),
    /** ok, error, timeout, cpu_limit, memory_limit, output_limit, killed; `refused` when policy or availability stopped it. */
    outcome: text("outcome").notNull(),
    exitCode: integer("exit_code"),
    signal: text("signal"),
    stdout: text("stdout").notNull().default(""),
    stderr: text("stderr").notNull().default(""),
    stdoutTruncated: boolean("stdout_truncated").notNull().default(false),
    stderrTruncated: boolean("stderr_truncated").notNull().default(false),
    binaryOutput: boolean("binary_output").notNull().default(false),
    files: jsonb("files"),
    filesTruncated: boolean("files_truncated").notNull().default(false),
    usage: jsonb("usage"),
    /** Why nothing ran (refused) or what broke in the provider. */
    error: text("error"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    durationMs: integer("duration_ms"),
  },
  (t) => [index("sandbox_executions_run_idx").on(t.runId, t.startedAt)],
);
export type SandboxExecutionRow = typeof sandboxExecutions.$inferSelect;
