import { NonRetriableError } from "inngest";
import { z } from "zod";
import { getDb } from "@/db/client";
import { escalateApproval, expireApproval, requestApproval, type GateRequest, type GateTicket } from "./lifecycle";
import { APPROVAL_DECIDED_EVENT, type ApprovalDecidedData, type ApprovalOptions, type ApprovalResult } from "./types";

/** The run's gate was rejected (by a person, by policy or by the timeout default) and the workflow asked to stop. */
export class ApprovalRejectedError extends NonRetriableError {
  constructor(readonly result: ApprovalResult, gate: string) {
    super(`approval "${gate}" was rejected by ${result.decidedBy}${result.comment ? `: ${result.comment}` : ""}`);
    this.name = "ApprovalRejectedError";
  }
}

/** The parts of Inngest's step tools a gate uses: durable steps and durable waits (no process holds a timer). */
export type GateSteps = {
  run: (id: string, fn: () => Promise<unknown>) => Promise<unknown>;
  waitForEvent: (id: string, opts: { event: string; timeout: string; if: string }) => Promise<unknown>;
};

export type GateRun = { runId: string; workflowId: string; triggeredBy: { id: string | null; email: string } | null };

export type WfloApproval = <P extends Record<string, unknown> = Record<string, unknown>>(gate: string, options: ApprovalOptions<P>) => Promise<ApprovalResult<P>>;

const decidedEvent = z.object({ data: z.object({ approvalId: z.string(), status: z.enum(["approved", "rejected"]), decidedBy: z.string(), comment: z.string().nullable(), payload: z.record(z.string(), z.unknown()), edited: z.boolean(), policy: z.object({ version: z.number(), rule: z.string().nullable() }) }) });

function jsonSchemaOf(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * `wflo.approval(gate, options)`: policy decides (auto-approve, deny, ask); asking inserts a
 * pending approval and waits for `wflo/approval.decided` with `step.waitForEvent`, so the run
 * holds no process while it waits and survives restarts. With escalation the wait is split:
 * wait until the escalation delay, escalate in a step, wait until the deadline; then the
 * default applies in a step. Step ids derive from the gate name, so every replay is the same.
 */
export function createApproval(step: GateSteps, run: GateRun): WfloApproval {
  return async <P extends Record<string, unknown>>(gate: string, options: ApprovalOptions<P>): Promise<ApprovalResult<P>> => {
    const { schema, throwOnReject, ...rest } = options;
    const request: GateRequest = { runId: run.runId, workflowId: run.workflowId, gate, triggeredBy: run.triggeredBy, options: { ...rest, payloadSchema: jsonSchemaOf(schema) } };
    const ticket = (await step.run(`approval:${gate}`, () => requestApproval(getDb(), request))) as GateTicket;

    let result: ApprovalResult;
    if (ticket.kind === "final") {
      result = ticket.result;
    } else {
      const waitOpts = (timeoutS: number) => ({ event: APPROVAL_DECIDED_EVENT, timeout: `${timeoutS}s`, if: `async.data.approvalId == "${ticket.approvalId}"` });
      let event = await step.waitForEvent(`approval:${gate}:wait`, waitOpts(ticket.firstWaitS));
      if (!event && ticket.escalates && ticket.secondWaitS !== null) {
        await step.run(`approval:${gate}:escalate`, () => escalateApproval(getDb(), ticket.approvalId));
        event = await step.waitForEvent(`approval:${gate}:wait-escalated`, waitOpts(ticket.secondWaitS));
      }
      if (event) {
        const d: ApprovalDecidedData = decidedEvent.parse(event).data;
        result = {
          approvalId: d.approvalId,
          status: d.status,
          approved: d.status === "approved",
          decidedBy: d.decidedBy,
          comment: d.comment,
          payload: d.payload,
          edited: d.edited,
          timedOut: false,
          policy: d.policy,
        };
      } else {
        const expired = (await step.run(`approval:${gate}:deadline`, () => expireApproval(getDb(), ticket.approvalId))) as Awaited<ReturnType<typeof expireApproval>>;
        if ("failRun" in expired) throw new NonRetriableError(expired.message);
        result = expired;
      }
    }
    if (!result.approved && throwOnReject) throw new ApprovalRejectedError(result, gate);
    return result as ApprovalResult<P>;
  };
}
