import { DomainError } from "@/server/errors";
import { and, asc, count, desc, eq, getTableColumns, inArray, lt, not, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { APPROVAL_STATUSES, RISK_LEVELS, approvalDecisions, approvals, type ApprovalRow } from "@/db/schema";
import type { Role } from "@/db/schema/auth";
import { roleRank } from "@/server/auth/permissions";

export const listApprovalsInput = z.object({
  view: z.enum(["pending", "history"], { error: "view must be pending or history" }).default("pending"),
  status: z.enum(APPROVAL_STATUSES, { error: `status must be one of: ${APPROVAL_STATUSES.join(", ")}` }).optional(),
  risk: z.enum(RISK_LEVELS, { error: `risk must be one of: ${RISK_LEVELS.join(", ")}` }).optional(),
  workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
  limit: z
    .number()
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(200, "limit must be at most 200")
    .default(50),
  /** createdAt of the last row of the previous page (history). */
  before: z.date({ error: "before must be a date" }).optional(),
});
export const approvalIdInput = z.object({ approvalId: z.uuid("approvalId must be an approval id (a UUID)") });

/**
 * The columns a queue row needs: everything but `details`, `payload`, `editedPayload` and the
 * payload schema, which can be large (up to 64 KiB each) and are only read on the detail view.
 * The queue is polled every few seconds by every open panel, so they are not even selected.
 */
const {
  details: _details,
  payload: _payload,
  editedPayload: _editedPayload,
  payloadSchema: _payloadSchema,
  ...queueColumns
} = getTableColumns(approvals);
type QueueRow = Omit<ApprovalRow, "details" | "payload" | "editedPayload" | "payloadSchema"> & {
  hasPayloadSchema: boolean;
};

/** An external request (no run waits on it, so no durable deadline step) whose deadline passed but is still stored pending. */
const overdueExternal = () =>
  sql`(${approvals.status} = 'pending' and ${approvals.runId} is null and ${approvals.deadlineAt} <= now())`;

/**
 * Reads read: an external request past its deadline reads as expired at once, with what
 * expireApproval will write when the expire-approvals cron run records it (status, decided by
 * "timeout", its default in the comment); decide refuses it by the same deadline.
 */
function asOfNow<
  T extends Pick<
    ApprovalRow,
    "status" | "runId" | "deadlineAt" | "onTimeout" | "decidedAt" | "decidedByEmail" | "decisionComment"
  >,
>(a: T): T {
  if (a.status !== "pending" || a.runId !== null || a.deadlineAt.getTime() > Date.now()) return a;
  return {
    ...a,
    status: "expired",
    decidedAt: a.deadlineAt,
    decidedByEmail: "timeout",
    decisionComment: `deadline passed with no decision: default ${a.onTimeout}`,
  };
}

/** What the queue shows, plus what the viewer may do with it (the server still checks on decide). */
export function queueApproval(row: QueueRow, viewer?: { id: string; role: Role }) {
  const a = asOfNow(row);
  const mayDecideRole = viewer ? roleRank(viewer.role) >= roleRank(a.deciderRole) : false;
  const ownRun = viewer ? a.requestedById === viewer.id : false;
  return {
    id: a.id,
    runId: a.runId,
    /** Requested over REST by an agent outside wflo: no run waits on it; its caller polls. */
    external: a.runId === null,
    workflowId: a.workflowId,
    gate: a.gate,
    action: a.action,
    summary: a.summary,
    allowEdit: a.allowEdit,
    hasPayloadSchema: a.hasPayloadSchema,
    risk: a.risk,
    amountUsd: a.amountUsd,
    tool: a.tool,
    status: a.status,
    deciderRole: a.deciderRole,
    approvalsNeeded: a.approvalsNeeded,
    approvalsCount: a.approvalsCount,
    allowSelfApproval: a.allowSelfApproval,
    requireComment: a.requireComment,
    requestedByEmail: a.requestedByEmail,
    policyVersion: a.policyVersion,
    policyRule: a.policyRule,
    policyReason: a.policyReason,
    escalateAt: a.escalateAt,
    escalatedAt: a.escalatedAt,
    escalateTo: a.escalateTo,
    deadlineAt: a.deadlineAt,
    onTimeout: a.onTimeout,
    decidedByEmail: a.decidedByEmail,
    decisionComment: a.decisionComment,
    decidedAt: a.decidedAt,
    createdAt: a.createdAt,
    viewer: { roleAllows: mayDecideRole, ownRun, selfApprovalBlocked: ownRun && !a.allowSelfApproval },
  };
}
export type QueueApproval = ReturnType<typeof queueApproval>;

/** One approval in full (the detail view, a run's gates): the queue's fields plus details and payloads. */
export function publicApproval(a: ApprovalRow, viewer?: { id: string; role: Role }) {
  return {
    ...queueApproval({ ...a, hasPayloadSchema: a.payloadSchema !== null }, viewer),
    details: a.details,
    payload: a.payload,
    editedPayload: a.editedPayload,
  };
}
export type PublicApproval = ReturnType<typeof publicApproval>;

/** `scope.workflowIds`: only approvals of these workflows (an API key limited to some workflows). */
/** History by status, as read now: overdue external requests count as expired (see asOfNow). */
function historyStatus(status: z.output<typeof listApprovalsInput>["status"]) {
  if (status === "expired") return or(eq(approvals.status, "expired"), overdueExternal());
  if (status === "pending") return and(eq(approvals.status, "pending"), not(overdueExternal()));
  if (status) return eq(approvals.status, status);
  return or(
    inArray(
      approvals.status,
      APPROVAL_STATUSES.filter((s) => s !== "pending"),
    ),
    overdueExternal(),
  );
}

export async function listApprovals(
  db: DbOrTx,
  input: z.output<typeof listApprovalsInput>,
  viewer?: { id: string; role: Role },
  scope: { workflowIds?: readonly string[] | null } = {},
): Promise<QueueApproval[]> {
  const scoped = scope.workflowIds
    ? scope.workflowIds.length
      ? inArray(approvals.workflowId, [...scope.workflowIds])
      : sql`false`
    : undefined;
  const where =
    input.view === "pending"
      ? and(
          scoped,
          eq(approvals.status, "pending"),
          not(overdueExternal()),
          input.risk ? eq(approvals.risk, input.risk) : undefined,
          input.workflowId ? eq(approvals.workflowId, input.workflowId) : undefined,
        )
      : and(
          scoped,
          historyStatus(input.status),
          input.risk ? eq(approvals.risk, input.risk) : undefined,
          input.workflowId ? eq(approvals.workflowId, input.workflowId) : undefined,
          input.before ? lt(approvals.createdAt, input.before) : undefined,
        );
  const rows = await db
    .select({ ...queueColumns, hasPayloadSchema: sql<boolean>`${approvals.payloadSchema} is not null` })
    .from(approvals)
    .where(where)
    .orderBy(input.view === "pending" ? asc(approvals.createdAt) : desc(approvals.createdAt))
    .limit(input.limit);
  return rows.map((r) => queueApproval(r, viewer));
}

export async function getApproval(db: DbOrTx, approvalId: string, viewer?: { id: string; role: Role }) {
  const [a] = await db.select().from(approvals).where(eq(approvals.id, approvalId));
  if (!a) throw new DomainError("not_found", `no approval with id ${approvalId}`);
  const decisions = await db
    .select()
    .from(approvalDecisions)
    .where(eq(approvalDecisions.approvalId, approvalId))
    .orderBy(asc(approvalDecisions.at));
  const alreadyVoted = viewer ? decisions.some((d) => d.deciderId === viewer.id) : false;
  return {
    approval: publicApproval(a, viewer),
    decisions: decisions.map((d) => ({
      id: d.id,
      deciderEmail: d.deciderEmail,
      via: d.deciderKind,
      decision: d.decision,
      comment: d.comment,
      at: d.at,
    })),
    alreadyVoted,
  };
}

export async function pendingApprovalCount(db: DbOrTx): Promise<{ pending: number }> {
  const [row] = await db
    .select({ n: count() })
    .from(approvals)
    .where(and(eq(approvals.status, "pending"), not(overdueExternal())));
  return { pending: Number(row?.n ?? 0) };
}

export async function approvalsForRun(db: DbOrTx, runId: string) {
  const rows = await db.select().from(approvals).where(eq(approvals.runId, runId)).orderBy(asc(approvals.createdAt));
  return rows.map((r) => publicApproval(r));
}
