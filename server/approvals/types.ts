import type { z } from "zod";
import type { RiskLevel, TimeoutDefault } from "@/db/schema/approvals";
import type { Role } from "@/db/schema/auth";

/** "30s", "15m", "2h", "1d". */
export type Duration = `${number}${"s" | "m" | "h" | "d"}`;

/** What a workflow passes to `wflo.approval(gate, options)`. */
export type ApprovalOptions<P extends Record<string, unknown> = Record<string, unknown>> = {
  /** What will happen when approved, in a few words ("Delete 1,204 records from audit_exports"). */
  action: string;
  summary?: string;
  /** Shown to the approver; `details.diff = { before, after }` renders as a diff. */
  details?: Record<string, unknown>;
  /** The data the step will act on; approvers may edit it when `allowEdit` is set. */
  payload?: P;
  /** Edited payloads must fit this schema (checked on the server when deciding). */
  schema?: z.ZodType<P>;
  allowEdit?: boolean;
  risk?: RiskLevel;
  amountUsd?: number;
  costUsd?: number;
  tool?: string;
  /** The minimum role that may decide; the policy may raise it, never lower it. */
  requiredRole?: Role;
  approvalsNeeded?: number;
  /** Until the default applies. */
  timeout?: Duration;
  onTimeout?: TimeoutDefault;
  /** After `after`, notify `role`/`email` and optionally let `widenTo` (and above) decide too. */
  escalateTo?: { after: Duration; role?: Role; email?: string; widenTo?: Role };
  allowSelfApproval?: boolean;
  requireComment?: boolean;
  /** Throw ApprovalRejectedError instead of returning a rejected result. */
  throwOnReject?: boolean;
};

export type ApprovalResult<P extends Record<string, unknown> = Record<string, unknown>> = {
  approvalId: string;
  status: "approved" | "rejected";
  approved: boolean;
  /** An email, "policy" (auto-approved or denied) or "timeout" (the default applied at the deadline). */
  decidedBy: string;
  comment: string | null;
  /** The payload to act on: the approver's edit when there was one. */
  payload: P;
  edited: boolean;
  timedOut: boolean;
  policy: { version: number; rule: string | null };
};

/**
 * The wake-up a run's gate waits for: a signal keyed by the approval id, sent by the decide
 * service after the decision committed (./deliver.ts). It carries nothing the gate believes: the
 * gate reads the decision from the approval row in a step of the run (./gate.ts). A signal, not
 * an event, so that no event name a sender could post to the intake resolves a gate's wait.
 */
export const APPROVAL_SIGNAL_PREFIX = "wflo-approval:";
export const approvalSignal = (approvalId: string): string => `${APPROVAL_SIGNAL_PREFIX}${approvalId}`;
