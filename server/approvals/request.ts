/**
 * Asking for an approval: the policy's verdict and routing merged with the request's options,
 * the row with its audit entry and notification, and the ticket the gate's request step memoizes.
 */

import { and, eq } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { approvals, users, type ApprovalRow, type RiskLevel, type TimeoutDefault } from "@/db/schema";
import type { Role } from "@/db/schema/auth";
import { writeAudit, type Actor } from "@/server/audit/chain";
import { roleRank } from "@/server/auth/permissions";
import { evaluatePolicy } from "@/server/policies/evaluate";
import { durationMs } from "@/server/policies/schemas";
import { currentPolicy } from "@/server/policies/service";
import { assertApprovalSizes } from "./limits";
import { dispatchSoon, notifyApproval } from "./notify";
import type { ApprovalOptions, ApprovalResult } from "./types";

export const SYSTEM: Actor = { id: null, email: "system:approvals" };
const DEFAULT_TIMEOUT = "24h";
type NewApproval = typeof approvals.$inferInsert;
const higher = (a: Role, b: Role): Role => (roleRank(a) >= roleRank(b) ? a : b);

export type GateRequest = {
  runId: string;
  workflowId: string;
  gate: string;
  triggeredBy: { id: string | null; email: string } | null;
  options: Omit<ApprovalOptions, "schema" | "throwOnReject"> & { payloadSchema?: Record<string, unknown> };
};

/** What the request step memoizes: enough for the helper to wait and time out deterministically. */
export type GateTicket =
  | { kind: "final"; result: ApprovalResult }
  | {
      kind: "pending";
      approvalId: string;
      firstWaitS: number;
      secondWaitS: number | null;
      escalates: boolean;
      onTimeout: TimeoutDefault;
    };

export const toResult = (
  a: ApprovalRow,
  status: "approved" | "rejected",
  decidedBy: string,
  extra: Partial<ApprovalResult> = {},
): ApprovalResult => ({
  approvalId: a.id,
  status,
  approved: status === "approved",
  decidedBy,
  comment: a.decisionComment,
  payload: a.editedPayload ?? a.payload,
  edited: a.editedPayload !== null,
  timedOut: false,
  policy: { version: a.policyVersion, rule: a.policyRule },
  ...extra,
});

function ticketOf(a: ApprovalRow): GateTicket {
  if (a.status === "auto_approved") return { kind: "final", result: toResult(a, "approved", "policy") };
  if (a.status === "denied")
    return { kind: "final", result: toResult(a, "rejected", "policy", { comment: a.policyReason }) };
  if (a.status === "approved" || a.status === "rejected")
    return { kind: "final", result: toResult(a, a.status, a.decidedByEmail ?? "unknown") };
  const deadline = a.deadlineAt.getTime() - a.createdAt.getTime();
  const escalate = a.escalateAt && !a.escalatedAt ? a.escalateAt.getTime() - a.createdAt.getTime() : null;
  const s = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  return escalate !== null && escalate < deadline
    ? {
        kind: "pending",
        approvalId: a.id,
        firstWaitS: s(escalate),
        secondWaitS: s(deadline - escalate),
        escalates: true,
        onTimeout: a.onTimeout,
      }
    : {
        kind: "pending",
        approvalId: a.id,
        firstWaitS: s(deadline),
        secondWaitS: null,
        escalates: false,
        onTimeout: a.onTimeout,
      };
}

/**
 * The row a request becomes: the policy's verdict (auto-approve / deny / ask) and its routing
 * (who decides, how many, timeout, escalation) merged with the request's own options, the
 * stricter side winning. Shared by run gates and external requests (./external.ts), so both are
 * routed by exactly the same rules.
 */
export async function routedApproval(
  db: DbOrTx,
  req: Omit<GateRequest, "runId"> & { runId: string | null },
  requester: { role: Role | null },
  now = new Date(),
): Promise<NewApproval> {
  const o = req.options;
  const policy = await currentPolicy(db);
  const risk: RiskLevel = o.risk ?? "medium";
  const verdict = await evaluatePolicy(policy.rules, policy.version, {
    workflow: req.workflowId,
    gate: req.gate,
    action: o.action,
    tool: o.tool ?? "",
    risk,
    costUsd: o.costUsd ?? 0,
    amountUsd: o.amountUsd ?? 0,
    payload: o.payload ?? {},
    role: requester.role ?? "",
    hour: now.getUTCHours(),
    weekday: now.getUTCDay(),
  });
  const out = verdict.outcome;
  const ask = out.type === "require_approval" ? out : null;
  const timeout = o.timeout ?? ask?.timeout ?? DEFAULT_TIMEOUT;
  const escalateAfter = o.escalateTo?.after ?? ask?.escalateAfter;
  const escalateTo = o.escalateTo
    ? { role: o.escalateTo.role, email: o.escalateTo.email, widenTo: o.escalateTo.widenTo }
    : ask?.escalateTo
      ? { role: ask.escalateTo }
      : null;
  return {
    runId: req.runId,
    workflowId: req.workflowId,
    gate: req.gate,
    action: o.action,
    summary: o.summary ?? "",
    details: o.details ?? {},
    payload: o.payload ?? {},
    payloadSchema: o.payloadSchema ?? null,
    allowEdit: o.allowEdit ?? false,
    risk,
    amountUsd: o.amountUsd !== undefined ? String(o.amountUsd) : null,
    tool: o.tool ?? null,
    status: out.type === "auto_approve" ? "auto_approved" : out.type === "deny" ? "denied" : "pending",
    // Deciding needs approvals:decide, so nobody below approver can ever decide.
    deciderRole: higher(higher(o.requiredRole ?? "approver", ask?.role ?? "approver"), "approver"),
    approvalsNeeded: Math.max(o.approvalsNeeded ?? 1, ask?.approvalsNeeded ?? 1),
    // The stricter of gate and policy wins.
    allowSelfApproval: (o.allowSelfApproval ?? true) && (ask?.allowSelfApproval ?? true),
    requireComment: (o.requireComment ?? false) || (ask?.requireComment ?? false),
    requestedById: req.triggeredBy?.id ?? null,
    requestedByEmail: req.triggeredBy?.email ?? null,
    requestedByRole: requester.role,
    policyVersion: verdict.version,
    policyRule: verdict.ruleId,
    policyReason: out.type === "deny" ? out.reason || `denied by policy rule "${verdict.ruleName}"` : verdict.ruleName,
    escalateAt: escalateAfter ? new Date(now.getTime() + durationMs(escalateAfter)) : null,
    escalateTo,
    deadlineAt: new Date(now.getTime() + durationMs(timeout)),
    onTimeout: o.onTimeout ?? ask?.onTimeout ?? "reject",
    decidedAt: out.type === "require_approval" ? null : now,
    decidedByEmail: out.type === "require_approval" ? null : "policy",
    createdAt: now,
  };
}

/** Inserts a routed approval with its audit row and, when it waits for people, the "approval needed" notification. Null if a concurrent insert won (run, gate). */
export async function insertRoutedApproval(tx: DbOrTx, values: NewApproval): Promise<ApprovalRow | null> {
  const [a] = await tx
    .insert(approvals)
    .values(values)
    .onConflictDoNothing({ target: [approvals.runId, approvals.gate] })
    .returning();
  if (!a) return null;
  const action =
    a.status === "auto_approved"
      ? "approval.auto_approve"
      : a.status === "denied"
        ? "approval.deny"
        : "approval.request";
  await writeAudit(tx, SYSTEM, {
    action,
    targetType: "approval",
    targetId: a.id,
    after: {
      runId: a.runId,
      gate: a.gate,
      risk: a.risk,
      status: a.status,
      policyVersion: a.policyVersion,
      policyRule: a.policyRule,
      ...(a.runId === null && { external: true, workflow: a.workflowId, requestedBy: a.requestedByEmail }),
    },
  });
  if (a.status === "pending") {
    await notifyApproval(tx, a, "requested", {
      title: `Approval needed: ${a.action}`,
      message: `${a.workflowId} is waiting at "${a.gate}"${a.runId === null ? ` (external request from ${a.requestedByEmail ?? "an API key"})` : ""} (${a.risk} risk) for ${a.approvalsNeeded > 1 ? `${a.approvalsNeeded} approvers` : "an approver"} with role ${a.deciderRole} or higher.`,
    });
  }
  return a;
}

/** Policy first (auto-approve / deny / ask), then the row; idempotent per (run, gate) so a retried step never asks twice. */
export async function requestApproval(db: Database, req: GateRequest): Promise<GateTicket> {
  assertApprovalSizes(req.gate, req.options);
  const [existing] = await db
    .select()
    .from(approvals)
    .where(and(eq(approvals.runId, req.runId), eq(approvals.gate, req.gate)));
  if (existing) return ticketOf(existing);

  const requester = req.triggeredBy?.id
    ? (await db.select({ role: users.role }).from(users).where(eq(users.id, req.triggeredBy.id)))[0]
    : undefined;
  const values = await routedApproval(db, req, { role: requester?.role ?? null });
  const row = await db.transaction((tx) => insertRoutedApproval(tx, values));
  // Lost an insert race with a concurrent attempt of the same step: use the row it wrote.
  const final =
    row ??
    (
      await db
        .select()
        .from(approvals)
        .where(and(eq(approvals.runId, req.runId), eq(approvals.gate, req.gate)))
    )[0];
  if (!final) throw new Error(`approval for ${req.runId}/${req.gate} vanished`);
  if (row?.status === "pending") dispatchSoon();
  return ticketOf(final);
}
