/** An approval's outcome as an outside caller reads it (decided or still open), and the long poll that waits for it. */

import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { approvals, type ApprovalRow } from "@/db/schema";

/** What an approval's outcome is, for a caller that acts on it: `approved` is null while it is still open. */
/** Where an approval stands, without the payload (what a queue lists). */
export function decisionStatusOf(
  a: Pick<ApprovalRow, "status" | "onTimeout" | "decidedByEmail" | "decisionComment" | "decidedAt" | "policyReason">,
) {
  const approved =
    a.status === "approved" || a.status === "auto_approved"
      ? true
      : a.status === "rejected" || a.status === "denied" || a.status === "cancelled"
        ? false
        : a.status === "expired"
          ? a.onTimeout === "approve"
          : null;
  return {
    final: a.status !== "pending",
    approved,
    decidedBy: a.decidedByEmail,
    comment: a.status === "denied" ? a.policyReason : a.decisionComment,
    timedOut: a.status === "expired",
    decidedAt: a.decidedAt,
  };
}

export function decisionOf(
  a: Pick<
    ApprovalRow,
    | "status"
    | "onTimeout"
    | "decidedByEmail"
    | "decisionComment"
    | "decidedAt"
    | "editedPayload"
    | "payload"
    | "policyReason"
  >,
) {
  return {
    ...decisionStatusOf(a),
    /** The payload to act on: the approver's edit when there was one. */
    payload: a.editedPayload ?? a.payload,
  };
}

/** GET ?wait= holds the request at most this long (proxies commonly cut idle requests at 60 s). */
export const WAIT_CAP_S = 55;
/** One primary-key read per interval per waiting caller: cheap, and a decision is seen within it. */
const WAIT_INTERVAL_MS = 500;

/**
 * Long poll: returns as soon as the approval is no longer pending (decided, denied, expired or
 * cancelled), or when `waitMs` passes, or when the caller goes away. An external request whose
 * deadline passes during the wait ends it: it reads as expired with its default applied.
 */
export async function waitForDecision(
  db: Database,
  approvalId: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const end = Date.now() + waitMs;
  for (;;) {
    const [a] = await db
      .select({ status: approvals.status, runId: approvals.runId, deadlineAt: approvals.deadlineAt })
      .from(approvals)
      .where(eq(approvals.id, approvalId));
    if (a?.status !== "pending") return;
    if (a.runId === null && a.deadlineAt.getTime() <= Date.now()) return;
    const left = Math.min(end, a.deadlineAt.getTime() + 50) - Date.now();
    if (Date.now() >= end || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(10, Math.min(WAIT_INTERVAL_MS, left)));
      signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
