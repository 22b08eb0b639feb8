import { sql } from "drizzle-orm";
import {
  index,
  integer,
  boolean,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** pending -> approved | rejected | expired (deadline passed) | cancelled (run cancelled); auto_approved / denied by policy never wait. */
export const APPROVAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "cancelled",
  "auto_approved",
  "denied",
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const TIMEOUT_DEFAULTS = ["reject", "approve", "fail"] as const;
export type TimeoutDefault = (typeof TIMEOUT_DEFAULTS)[number];

/**
 * One gate of one run (`wflo.approval(name, ...)`), or an external request (POST /api/v1/approvals
 * from an agent outside wflo): that one has no run (`runId` null), its `workflowId` is the label
 * the agent gave, and its caller polls for the decision instead of a gate waiting for an event.
 * Unique per (run, gate) so the durable request step can be retried without asking twice. Who may decide is `deciderRole` (the
 * minimum role; escalation may widen it), and `approvalsNeeded` distinct people must approve.
 */
export const approvals = pgTable(
  "approvals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Null for an external request (no wflo run waits on it). */
    runId: text("run_id"),
    workflowId: text("workflow_id").notNull(),
    gate: text("gate").notNull(),
    action: text("action").notNull(),
    summary: text("summary").notNull().default(""),
    /** What the step will do, shown to the approver; `details.diff` = { before, after } when the step proposes a change. */
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** JSON Schema of the payload (from the gate's zod schema); an edited payload must fit it. */
    payloadSchema: jsonb("payload_schema").$type<Record<string, unknown>>(),
    allowEdit: boolean("allow_edit").notNull().default(false),
    risk: text("risk").$type<RiskLevel>().notNull(),
    amountUsd: numeric("amount_usd", { precision: 20, scale: 6 }),
    tool: text("tool"),
    status: text("status").$type<ApprovalStatus>().notNull(),
    deciderRole: text("decider_role").$type<"viewer" | "operator" | "approver" | "admin">().notNull(),
    approvalsNeeded: integer("approvals_needed").notNull().default(1),
    approvalsCount: integer("approvals_count").notNull().default(0),
    allowSelfApproval: boolean("allow_self_approval").notNull().default(true),
    requireComment: boolean("require_comment").notNull().default(false),
    requestedById: uuid("requested_by_id"),
    requestedByEmail: text("requested_by_email"),
    requestedByRole: text("requested_by_role"),
    policyVersion: integer("policy_version").notNull(),
    policyRule: text("policy_rule"),
    policyReason: text("policy_reason").notNull().default(""),
    escalateAt: timestamp("escalate_at", { withTimezone: true }),
    escalateTo: jsonb("escalate_to").$type<{ role?: string; email?: string; widenTo?: string } | null>(),
    escalatedAt: timestamp("escalated_at", { withTimezone: true }),
    deadlineAt: timestamp("deadline_at", { withTimezone: true }).notNull(),
    onTimeout: text("on_timeout").$type<TimeoutDefault>().notNull().default("reject"),
    decidedById: uuid("decided_by_id"),
    decidedByEmail: text("decided_by_email"),
    decisionComment: text("decision_comment"),
    editedPayload: jsonb("edited_payload").$type<Record<string, unknown>>(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** External requests only: the caller's Idempotency-Key, unique per requester (the API key), so a retried POST gets this row back. */
    idempotencyKey: text("idempotency_key"),
    /** sha256 of the request as parsed (canonical JSON): the same key with a different request is refused, not replayed. */
    requestHash: text("request_hash"),
  },
  (t) => [
    uniqueIndex("approvals_run_gate_uq").on(t.runId, t.gate),
    // The race guard for idempotent external requests: of two identical POSTs at once, one insert wins.
    uniqueIndex("approvals_requester_idempotency_uq")
      .on(t.requestedById, t.idempotencyKey)
      .where(sql`${t.idempotencyKey} is not null`),
    index("approvals_status_created_idx").on(t.status, t.createdAt),
    index("approvals_workflow_idx").on(t.workflowId),
  ],
);
export type ApprovalRow = typeof approvals.$inferSelect;

/**
 * One person's vote; unique per decider so N-of-M needs N distinct people. An API key votes for
 * its creator: `deciderId` is the creator's user id (two keys of one admin are one approver) and
 * `apiKeyId` the key that cast it, for traceability.
 */
export const approvalDecisions = pgTable(
  "approval_decisions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    approvalId: uuid("approval_id")
      .notNull()
      .references(() => approvals.id, { onDelete: "cascade" }),
    deciderId: uuid("decider_id").notNull(),
    /** The API key that cast the vote (null for a person in the panel). */
    apiKeyId: uuid("api_key_id"),
    deciderEmail: text("decider_email").notNull(),
    /** "user" or "api_key". */
    deciderKind: text("decider_kind").notNull().default("user"),
    decision: text("decision").$type<"approve" | "reject">().notNull(),
    comment: text("comment"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("approval_decisions_approval_decider_uq").on(t.approvalId, t.deciderId)],
);
export type ApprovalDecisionRow = typeof approvalDecisions.$inferSelect;
