import type { PolicyRule } from "@/server/policies/schemas";

/** How a rule's outcome reads in the policy editor: its label, badge tone and one-line summary. */
export type Outcome = PolicyRule["outcome"];

export const OUTCOME_LABEL: Record<Outcome["type"], string> = {
  auto_approve: "Auto-approve",
  require_approval: "Require approval",
  deny: "Deny",
};

export const outcomeTone = (t: Outcome["type"]) => (t === "auto_approve" ? "green" : t === "deny" ? "red" : "amber");

export function outcomeText(o: Outcome): string {
  if (o.type === "auto_approve") return "runs without asking";
  if (o.type === "deny") return `denied${o.reason ? `: ${o.reason}` : ""}`;
  const parts = [`${o.approvalsNeeded} × ${o.role}+`];
  if (o.timeout) parts.push(`timeout ${o.timeout} → ${o.onTimeout ?? "reject"}`);
  if (o.escalateAfter) parts.push(`escalate after ${o.escalateAfter}${o.escalateTo ? ` to ${o.escalateTo}` : ""}`);
  if (o.allowSelfApproval === false) parts.push("not the requester");
  if (o.requireComment) parts.push("comment required");
  return parts.join(" · ");
}
