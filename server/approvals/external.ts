import { createHash } from "node:crypto";
import { DomainError } from "@/server/errors";
import { and, eq, isNull, lte } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { approvals, RISK_LEVELS, ROLES, type ApprovalRow } from "@/db/schema";
import { assertWorkflowInScope } from "@/server/apikeys/scope";
import type { ApiKeyPrincipal } from "@/server/auth/principal";
import { canonicalJson } from "@/server/audit/chain";
import { log } from "@/server/log";
import { durationMs, durationSchema } from "@/server/policies/schemas";
import { capJson } from "@/server/security/json-size";
import { expireApproval } from "./lifecycle";
import { insertRoutedApproval, routedApproval } from "./request";
import { dispatchSoon } from "./notify";
import type { Duration } from "./types";

/**
 * External approval requests: an agent outside wflo (any language, no workflow) asks for an
 * approval over REST and polls or long-polls for the decision. The request is routed by the
 * same policy and rules as a run's gate (lifecycle.routedApproval), lands in the same queue
 * with the same notifications, and is decided with the same decide service. What differs:
 * there is no run (runId null), so nothing durable waits for it: the caller polls, and the
 * deadline is applied by the expire-approvals cron run (expireOverdueExternal), not by a gate's
 * step, and reads show it as expired from the deadline on.
 */

const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;
const text = (field: string, max: number) =>
  z
    .string({ error: `${field} must be text` })
    .trim()
    .min(1, `${field} must not be blank`)
    .max(max, `${field} must be at most ${max} characters`);
/** A JSON object capped at 64 KiB as JSON: it is stored and shown to every reviewer (./limits.ts). */
const object = (field: string) =>
  z.record(z.string(), z.unknown(), { error: `${field} must be a JSON object` }).superRefine(capJson(field));

export const externalApprovalInput = z.object({
  title: text("title", 200).describe(
    'What the agent wants to do, in a few words: the queue\'s headline ("Refund $120 to order 1042")',
  ),
  description: z
    .string({ error: "description must be text" })
    .trim()
    .max(4000, "description must be at most 4000 characters")
    .optional()
    .describe("Why, and what happens when approved"),
  workflow: text("workflow", 200).describe(
    "Which workflow or agent asks (a label; for a workflow-scoped key, one of its workflows). Policies match it as `workflow`",
  ),
  name: text("name", 200)
    .default("external")
    .describe("The request's kind, matched by policies as `gate` (default external)"),
  payload: object("payload")
    .optional()
    .describe("The data the agent will act on; approvers may edit it when allowEdit is set (at most 64 KiB as JSON)"),
  details: object("details")
    .optional()
    .describe("Shown to the approver; details.diff = { before, after } renders as a diff (at most 64 KiB as JSON)"),
  allowEdit: z.boolean({ error: "allowEdit must be true or false" }).optional(),
  risk: z.enum(RISK_LEVELS, { error: `risk must be one of: ${RISK_LEVELS.join(", ")}` }).default("medium"),
  tool: text("tool", 200).optional(),
  amountUsd: z.number({ error: "amountUsd must be a number" }).min(0, "amountUsd must not be negative").optional(),
  costUsd: z.number({ error: "costUsd must be a number" }).min(0, "costUsd must not be negative").optional(),
  requiredRole: z
    .enum(ROLES, { error: `requiredRole must be one of: ${ROLES.join(", ")}` })
    .optional()
    .describe("The minimum role that may decide; the policy may raise it, never lower it"),
  approvalsNeeded: z
    .number({ error: "approvalsNeeded must be a number" })
    .int("approvalsNeeded must be a whole number")
    .min(1, "approvalsNeeded must be at least 1")
    .max(10, "approvalsNeeded must be at most 10")
    .optional(),
  requireComment: z.boolean({ error: "requireComment must be true or false" }).optional(),
  timeout: durationSchema("timeout")
    // Only a well-formed duration is measured; a malformed one already has its own message.
    .refine((d) => !/^\d+[smhd]$/.test(d) || durationMs(d) <= MAX_TIMEOUT_MS, "timeout must be at most 7d")
    .optional()
    .describe("Until the default applies, e.g. 15m (default: the policy's, else 24h; at most 7d)"),
  onTimeout: z
    .enum(["reject", "approve"], { error: "onTimeout must be reject or approve" })
    .optional()
    .describe("What the deadline decides (default reject)"),
});
export type ExternalApprovalInput = z.output<typeof externalApprovalInput>;

/** The longest Idempotency-Key accepted (a UUID is 36; room for a caller's own composite keys). */
export const MAX_IDEMPOTENCY_KEY = 200;

/** The request as parsed (defaults applied), hashed: a retry that spells it differently but means the same is the same request. */
function requestHash(input: ExternalApprovalInput): string {
  return createHash("sha256").update(canonicalJson(input)).digest("hex");
}

/** Only the idempotency index: another unique violation is a different bug and must surface. */
function idempotencyRace(e: unknown): boolean {
  const cause = ((e as { cause?: unknown }).cause ?? e) as { code?: string; constraint_name?: string };
  return cause.code === "23505" && cause.constraint_name === "approvals_requester_idempotency_uq";
}

async function priorRequest(db: Database, actor: ApiKeyPrincipal, key: string): Promise<ApprovalRow | undefined> {
  const [row] = await db
    .select()
    .from(approvals)
    .where(and(eq(approvals.requestedById, actor.id), eq(approvals.idempotencyKey, key)));
  return row;
}

/** The first request's row for a retry; a different request under the same key is a caller bug: 409, not a silent replay. */
function replayOf(prior: ApprovalRow, key: string, hash: string): ApprovalRow {
  if (prior.requestHash !== hash) {
    throw new DomainError(
      "conflict",
      `Idempotency-Key "${key}" was already used by this API key for a different request (approval ${prior.id}, "${prior.action}"); send a new key for a new request, or the same body to get that approval back`,
    );
  }
  return prior;
}

export type ExternalRequestResult = { row: ApprovalRow; replayed: boolean };

/**
 * Routes and stores the request: pending (notified), or already final when a policy auto-approves
 * or denies it. With an idempotency key, a retry of the same request by the same API key returns
 * the first one's row (`replayed`), even when the two arrive at once: the unique index
 * (requester, key) lets one insert win, and the loser's transaction (row, audit, notification)
 * rolls back before it reads the winner's row.
 */
export async function requestExternalApproval(
  db: Database,
  actor: ApiKeyPrincipal,
  input: ExternalApprovalInput,
  opts: { idempotencyKey?: string } = {},
): Promise<ExternalRequestResult> {
  // A workflow-scoped key asks only for its workflows (403 naming the workflow).
  assertWorkflowInScope(actor, input.workflow, "workflow");
  const key = opts.idempotencyKey;
  const hash = key === undefined ? null : requestHash(input);
  if (key !== undefined && hash !== null) {
    // The common retry (the first answer was lost) skips routing; the index, not this read, is the guard.
    const prior = await priorRequest(db, actor, key);
    if (prior) return { row: replayOf(prior, key, hash), replayed: true };
  }
  const values = await routedApproval(
    db,
    {
      runId: null,
      workflowId: input.workflow,
      gate: input.name,
      triggeredBy: { id: actor.id, email: actor.email },
      options: {
        action: input.title,
        summary: input.description,
        details: input.details,
        payload: input.payload,
        allowEdit: input.allowEdit,
        risk: input.risk,
        tool: input.tool,
        amountUsd: input.amountUsd,
        costUsd: input.costUsd,
        requiredRole: input.requiredRole,
        approvalsNeeded: input.approvalsNeeded,
        requireComment: input.requireComment,
        timeout: input.timeout as Duration | undefined,
        onTimeout: input.onTimeout,
        // The agent asked for it; if it may also decide, it must not approve its own request.
        allowSelfApproval: false,
      },
    },
    { role: actor.role },
  );
  // No run to fail at the deadline: a policy's "fail" default means the request is refused.
  if (values.onTimeout === "fail") values.onTimeout = "reject";
  values.idempotencyKey = key ?? null;
  values.requestHash = hash;
  let row: ApprovalRow | null;
  try {
    row = await db.transaction((tx) => insertRoutedApproval(tx, values));
  } catch (e) {
    if (key === undefined || hash === null || !idempotencyRace(e)) throw e;
    const prior = await priorRequest(db, actor, key);
    if (!prior) throw e;
    return { row: replayOf(prior, key, hash), replayed: true };
  }
  // runId is null, so (run, gate) never conflicts: an insert always returns its row.
  if (!row) throw new Error("external approval insert returned no row");
  if (row.status === "pending") dispatchSoon();
  return { row, replayed: false };
}

/**
 * Applies the deadline to external requests that passed it (a run's gate does this in its own
 * durable step): status, audit row and notification. Run every minute by the expire-approvals
 * system cron run; until then reads show such a request as expired (queries.ts `asOfNow`).
 * Bounded per call; the rest go next time.
 */
export async function expireOverdueExternal(db: Database, opts: { approvalId?: string } = {}): Promise<number> {
  const due = await db
    .select({ id: approvals.id })
    .from(approvals)
    .where(
      and(
        eq(approvals.status, "pending"),
        isNull(approvals.runId),
        lte(approvals.deadlineAt, new Date()),
        opts.approvalId ? eq(approvals.id, opts.approvalId) : undefined,
      ),
    )
    .limit(50);
  for (const d of due) {
    try {
      await expireApproval(db, d.id);
    } catch (err) {
      log.warn({ err, approvalId: d.id }, "could not expire an external approval");
    }
  }
  return due.length;
}
