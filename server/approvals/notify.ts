import type { DbOrTx } from "@/db/client";
import type { ApprovalRow } from "@/db/schema";
import { getDb } from "@/db/client";
import { kickAlertDispatch } from "@/server/notifications/dispatcher";
import { insertNotification } from "@/server/notifications/service";

/**
 * Approval events go through the colleague-built alert pipeline (panel notifications plus
 * generic / Slack webhooks with retries); `details.approvalId` makes the link point at the approval.
 */
type Event = "requested" | "escalated" | "decided";

export async function notifyApproval(
  tx: DbOrTx,
  a: ApprovalRow,
  event: Event,
  extra: { title: string; message: string; details?: Record<string, unknown> },
): Promise<void> {
  await insertNotification(tx, {
    kind:
      event === "requested" ? "approval_requested" : event === "escalated" ? "approval_escalated" : "approval_decided",
    severity:
      event === "escalated" || a.risk === "critical"
        ? "critical"
        : event === "requested" && a.risk === "high"
          ? "warning"
          : "info",
    title: extra.title,
    message: extra.message,
    runId: a.runId,
    workflowId: a.workflowId,
    details: { approvalId: a.id, gate: a.gate, risk: a.risk, action: a.action, ...extra.details },
    dedupeKey: `approval:${a.id}:${event}`,
  });
}

/** After commit: deliver in the background; a webhook being down never fails a decision or a step. */
export function dispatchSoon(): void {
  void kickAlertDispatch(getDb());
}
