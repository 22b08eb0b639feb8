import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Checkpoints, forks, rollback and replay (server/recovery). Written on the SDK side like runs
 * and steps, so no foreign key to `runs`: a checkpoint or link can be written in the same
 * request that first records the run, before or after its row exists.
 */

/** `wflo.checkpoint(name, state)`: one row per (run, name, version); versions count per name from 1. */
export const stateSnapshots = pgTable(
  "state_snapshots",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id").notNull(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    state: jsonb("state").notNull(),
    /** The durable step that saved it (`checkpoint:<name>:v<version>`), to fork from it. */
    stepId: text("step_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("state_snapshots_run_name_version_uq").on(t.runId, t.name, t.version),
    index("state_snapshots_run_idx").on(t.runId, t.createdAt),
  ],
);
export type StateSnapshot = typeof stateSnapshots.$inferSelect;

export type ForkPoint = {
  /** run_steps.position of the last step whose recorded result the child reuses. */
  upToPosition: number;
  stepId: string;
  checkpoint?: { name: string; version: number };
};

/** Parent -> child: a fork (from a checkpoint or step). One row per child run. */
export const runLinks = pgTable(
  "run_links",
  {
    childRunId: text("child_run_id").primaryKey(),
    parentRunId: text("parent_run_id").notNull(),
    kind: text("kind").$type<"fork">().notNull(),
    forkPoint: jsonb("fork_point").$type<ForkPoint>().notNull(),
    /** What the operator changed: `{ input?, state? }`. */
    edits: jsonb("edits").$type<{ input?: unknown; state?: unknown }>(),
    createdByEmail: text("created_by_email"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("run_links_parent_idx").on(t.parentRunId)],
);
export type RunLink = typeof runLinks.$inferSelect;

/**
 * The workflow definition a run started with (hash of handler source + config) and, if a later
 * request of the run was served by different code, the fingerprint that resumed it.
 */
export const runFingerprints = pgTable("run_fingerprints", {
  runId: text("run_id").primaryKey(),
  workflowId: text("workflow_id").notNull(),
  fingerprint: text("fingerprint").notNull(),
  resumedWith: text("resumed_with"),
  resumedAt: timestamp("resumed_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
export type RunFingerprint = typeof runFingerprints.$inferSelect;

export const ROLLBACK_STATUSES = ["running", "rolled_back", "partly_rolled_back"] as const;
export type RollbackStatus = (typeof ROLLBACK_STATUSES)[number];

/**
 * A rollback of a run: its completed steps' compensations run in reverse order in a system run.
 * At most one per run (primary key), so two operators rolling back at once cannot both start one.
 */
export const runRollbacks = pgTable("run_rollbacks", {
  runId: text("run_id").primaryKey(),
  workflowId: text("workflow_id").notNull(),
  status: text("status").$type<RollbackStatus>().notNull().default("running"),
  /** "operator" or "automatic" (the workflow opted into rollback on failure). */
  reason: text("reason").notNull(),
  requestedByEmail: text("requested_by_email"),
  requestedById: uuid("requested_by_id"),
  /**
   * An operator's request, written with its audit row by server/recovery/rollback.ts; the
   * rollback event carries only this id, and the system function acts only on a row that has it
   * (a forged event names no such request). Null for automatic rollbacks. New on every re-claim.
   */
  requestId: uuid("request_id").unique(),
  /** The system run that took the request (idempotent for its own retries; any other run is refused). */
  startedByRunId: text("started_by_run_id"),
  /** The compensation that kept failing: the run needs a person. */
  failedStepId: text("failed_step_id"),
  error: jsonb("error").$type<{ name: string; message: string }>(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  endedAt: timestamp("ended_at", { withTimezone: true }),
});
export type RunRollback = typeof runRollbacks.$inferSelect;

export const COMPENSATION_STATUSES = ["pending", "compensated", "failed", "skipped"] as const;
export type CompensationStatus = (typeof COMPENSATION_STATUSES)[number];

/** A completed step that declared how to undo itself; its output is what the compensation gets. */
export const runCompensations = pgTable(
  "run_compensations",
  {
    runId: text("run_id").notNull(),
    stepId: text("step_id").notNull(),
    workflowId: text("workflow_id").notNull(),
    /** Completion order; compensations run highest first. */
    seq: integer("seq").notNull(),
    output: jsonb("output"),
    status: text("status").$type<CompensationStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    error: jsonb("error").$type<{ name: string; message: string }>(),
    compensatedAt: timestamp("compensated_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("run_compensations_run_step_uq").on(t.runId, t.stepId)],
);
export type RunCompensation = typeof runCompensations.$inferSelect;
