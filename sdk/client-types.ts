/**
 * The shapes of the wflo REST API as WfloClient sends and receives them: request types are the
 * routes' own zod schemas (input side), answers the services' return types as JSON carries them.
 * Types only: nothing here exists at run time.
 */
import type { z } from "zod";
import type { decideInput } from "../server/approvals/decide";
import type { externalApprovalInput } from "../server/approvals/external";
import type { decisionOf, decisionStatusOf } from "../server/approvals/external-decision";
import type { PublicApproval, QueueApproval } from "../server/approvals/queries";
import type { CostBreakdown } from "../server/governance/reports";
import type { listBudgets } from "../server/governance";
import type { replayReportSchema, rerunBody, rerunResponse } from "../server/rest/routes/run-actions";
import type { getRun, listRuns } from "../server/runs/queries";
import type { triggerInput } from "../server/runs/schemas";
import type { Trace } from "../server/tracing/types";

/** A value as it arrives over JSON: Date -> ISO string, bigint (nano-dollars) -> decimal string. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends bigint
    ? string
    : T extends readonly (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

export type TriggerRunInput = z.input<typeof triggerInput>;
export type TriggeredRun = { eventId: string; workflowId: string; runId: string | null };
export type ListRunsQuery = {
  workflowId?: string;
  status?: RunSummary["status"];
  /** Part of the triggering user's email (or the API key's name). */
  triggeredBy?: string;
  /** Only the runs this event started (what `triggerRun` returned). */
  eventId?: string;
  from?: string | Date;
  to?: string | Date;
  limit?: number;
  cursor?: string;
};
export type RunSummary = Jsonified<Awaited<ReturnType<typeof listRuns>>["items"][number]>;
export type RunPage = { items: RunSummary[]; nextCursor?: string };
type RunRecord = Jsonified<Awaited<ReturnType<typeof getRun>>>;
export type RunDetail = RunRecord & {
  status: RunSummary["status"];
  /** The run's output once it completed, else null. */
  result: unknown;
  error: RunRecord["run"]["error"];
  cost: Jsonified<CostBreakdown>;
};
export type RunStep = RunDetail["steps"][number];
export type RunTrace = Jsonified<Trace>;
export type RerunInput = z.input<typeof rerunBody>;
export type RerunResult = z.output<typeof rerunResponse>;
export type ReplayReport = z.output<typeof replayReportSchema>;

/** What a decision means for the caller: `final`, then `approved` and the `payload` to act on (the approver's edit, if any). */
export type ApprovalDecision = Jsonified<ReturnType<typeof decisionOf>>;
export type Approval = Jsonified<Omit<PublicApproval, "viewer">> & { link: string; decision: ApprovalDecision };
/** A row of GET /approvals: an approval without its details and payloads (getApproval has them). */
export type ApprovalSummary = Jsonified<Omit<QueueApproval, "viewer">> & {
  link: string;
  decision: Jsonified<ReturnType<typeof decisionStatusOf>>;
};
/** An approval request from an agent outside wflo (POST /approvals). */
export type RequestApprovalInput = z.input<typeof externalApprovalInput>;
export type ApprovalStatusFilter = "pending" | "all" | Approval["status"];
export type ListApprovalsQuery = {
  status?: ApprovalStatusFilter;
  risk?: Approval["risk"];
  workflowId?: string;
  runId?: string;
  limit?: number;
};
export type ApprovalDecisionRecord = {
  id: string;
  deciderEmail: string | null;
  via: string;
  decision: string;
  comment: string | null;
  at: string;
};
export type ApprovalWithDecisions = { approval: Approval; decisions: ApprovalDecisionRecord[] };
export type DecideInput = Omit<z.input<typeof decideInput>, "approvalId">;
export type DecisionResult = {
  approvalId: string;
  status: string;
  approvals: number;
  approvalsNeeded: number;
  final: boolean;
};
/** A budget with its current window (spent, reserved, utilization); null for per-run budgets. */
export type Budget = Jsonified<Awaited<ReturnType<typeof listBudgets>>[number]>;

/** A run that stopped at an approval gate, with the approvals it waits for. */
export type PausedRun = { run: RunSummary; approvals: ApprovalSummary[] };
/** What the approver is asked: enough to decide without opening the panel. */
export type ApprovalPrompt = Pick<
  Approval,
  | "id"
  | "runId"
  | "workflowId"
  | "gate"
  | "action"
  | "summary"
  | "details"
  | "payload"
  | "allowEdit"
  | "risk"
  | "status"
  | "deciderRole"
  | "deadlineAt"
  | "link"
>;
