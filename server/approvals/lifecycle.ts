/**
 * A gate after it asked, each function called inside one durable `step.run` of the
 * `wflo.approval` helper: read the committed decision, escalate, apply the default at the
 * deadline, and cancel with the run. Every change is one transaction with its audit row.
 */

import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { approvals, type ApprovalRow } from "@/db/schema";
import { writeAudit } from "@/server/audit/chain";
import { dispatchSoon, notifyApproval } from "./notify";
import type { ApprovalResult } from "./types";
import { SYSTEM, toResult } from "./request";

/** Which part of a gate's wait a wake-up came in: before the escalation, or after it until the deadline. */
export type WaitPhase = "first" | "escalated";

/** What a wake-up finds on the row: the committed decision, or still open with the seconds left in the wait's phase. */
export type RowDecision = { kind: "final"; result: ApprovalResult } | { kind: "open"; remainingS: number };

/**
 * The decision a woken gate acts on, read from the approval row that the decide service
 * committed (status, approver, edited payload, comment, policy), never from the wake-up. A row
 * that is still pending (a wake-up sent early, or by someone else who holds the engine's key) is
 * "open": the gate waits again for the rest of its phase. Expired and cancelled rows are open
 * with nothing left, so the gate's own deadline step applies the outcome.
 */
export async function readDecision(
  db: Database,
  approvalId: string,
  phase: WaitPhase,
  now = new Date(),
): Promise<RowDecision> {
  const [a] = await db.select().from(approvals).where(eq(approvals.id, approvalId));
  if (!a) throw new Error(`approval ${approvalId} not found`);
  if (a.status === "approved" || a.status === "rejected")
    return { kind: "final", result: toResult(a, a.status, a.decidedByEmail ?? "unknown") };
  if (a.status !== "pending") return { kind: "open", remainingS: 0 };
  const end =
    phase === "first" && a.escalateAt && !a.escalatedAt && a.escalateAt < a.deadlineAt ? a.escalateAt : a.deadlineAt;
  return { kind: "open", remainingS: Math.max(0, Math.ceil((end.getTime() - now.getTime()) / 1000)) };
}

async function lockApproval(
  tx: Parameters<Parameters<Database["transaction"]>[0]>[0],
  id: string,
): Promise<ApprovalRow | undefined> {
  const rows = await tx.select().from(approvals).where(eq(approvals.id, id)).for("update");
  return rows[0];
}

/** The escalation delay passed with no final decision: notify, and widen who may decide when the gate says so. */
export async function escalateApproval(db: Database, approvalId: string): Promise<{ escalated: boolean }> {
  const done = await db.transaction(async (tx) => {
    const a = await lockApproval(tx, approvalId);
    if (a?.status !== "pending" || a.escalatedAt) return false;
    const widenTo = z.enum(["approver", "admin"]).safeParse(a.escalateTo?.widenTo);
    const deciderRole = widenTo.success ? widenTo.data : a.deciderRole;
    const [after] = await tx
      .update(approvals)
      .set({ escalatedAt: new Date(), deciderRole })
      .where(eq(approvals.id, a.id))
      .returning();
    await writeAudit(tx, SYSTEM, {
      action: "approval.escalate",
      targetType: "approval",
      targetId: a.id,
      before: { deciderRole: a.deciderRole },
      after: { deciderRole, escalateTo: a.escalateTo },
    });
    const who =
      [a.escalateTo?.role && `role ${a.escalateTo.role}`, a.escalateTo?.email].filter(Boolean).join(", ") ||
      "approvers";
    await notifyApproval(tx, after ?? a, "escalated", {
      title: `Escalated: ${a.action}`,
      message: `No decision on "${a.gate}" of ${a.workflowId} yet; escalated to ${who}. Deadline ${a.deadlineAt.toISOString()} (then: ${a.onTimeout}).`,
      details: { escalateTo: a.escalateTo },
    });
    return true;
  });
  if (done) dispatchSoon();
  return { escalated: done };
}

/**
 * The deadline passed. A pending approval expires and its default applies; one that was decided
 * meanwhile (its event missed the wait) keeps its decision. "fail" is reported for the helper to throw.
 */
export async function expireApproval(
  db: Database,
  approvalId: string,
): Promise<ApprovalResult | { failRun: true; message: string }> {
  const out = await db.transaction(async (tx) => {
    const a = await lockApproval(tx, approvalId);
    if (!a) throw new Error(`approval ${approvalId} not found`);
    if (a.status === "approved" || a.status === "rejected")
      return { result: toResult(a, a.status, a.decidedByEmail ?? "unknown"), notify: false };
    const comment = `deadline passed with no decision: default ${a.onTimeout}`;
    const [after] = await tx
      .update(approvals)
      .set({ status: "expired", decidedAt: new Date(), decidedByEmail: "timeout", decisionComment: comment })
      .where(and(eq(approvals.id, a.id), eq(approvals.status, "pending")))
      .returning();
    await writeAudit(tx, SYSTEM, {
      action: "approval.timeout",
      targetType: "approval",
      targetId: a.id,
      before: { status: a.status },
      after: { status: "expired", default: a.onTimeout },
    });
    const row = after ?? a;
    await notifyApproval(tx, row, "decided", {
      title: `Timed out: ${a.action}`,
      message: `No decision on "${a.gate}" of ${a.workflowId} by the deadline; the default (${a.onTimeout}) applied.`,
      details: { outcome: a.onTimeout },
    });
    if (a.onTimeout === "fail")
      return {
        result: {
          failRun: true as const,
          message: `approval "${a.gate}" was not decided by its deadline; the gate fails the run`,
        },
        notify: true,
      };
    return {
      result: toResult(row, a.onTimeout === "approve" ? "approved" : "rejected", "timeout", {
        timedOut: true,
        comment,
      }),
      notify: true,
    };
  });
  if (out.notify) dispatchSoon();
  return out.result;
}

/** An ended run's (cancelled, completed or failed) pending approvals become cancelled, so nobody decides for a run that is gone. */
export async function cancelRunApprovals(db: Database, runId: string): Promise<number> {
  const n = await db.transaction(async (tx) => {
    const rows = await tx
      .update(approvals)
      .set({ status: "cancelled", decidedAt: new Date() })
      .where(and(eq(approvals.runId, runId), eq(approvals.status, "pending")))
      .returning({ id: approvals.id });
    for (const r of rows)
      await writeAudit(tx, SYSTEM, {
        action: "approval.cancel",
        targetType: "approval",
        targetId: r.id,
        after: { status: "cancelled", runId },
      });
    return rows.length;
  });
  return n;
}
