import { NonRetriableError } from "inngest";
import { z } from "zod";
import { getDb } from "@/db/client";
import { escalateApproval, expireApproval, readDecision, type RowDecision, type WaitPhase } from "./lifecycle";
import { type GateRequest, type GateTicket, requestApproval } from "./request";
import { approvalSignal, type ApprovalOptions, type ApprovalResult } from "./types";

/** The run's gate was rejected (by a person, by policy or by the timeout default) and the workflow asked to stop. */
export class ApprovalRejectedError extends NonRetriableError {
  constructor(
    readonly result: ApprovalResult,
    gate: string,
  ) {
    super(`approval "${gate}" was rejected by ${result.decidedBy}${result.comment ? `: ${result.comment}` : ""}`);
    this.name = "ApprovalRejectedError";
  }
}

/** The parts of Inngest's step tools a gate uses: durable steps, durable waits and sleeps (no process holds a timer). */
export type GateSteps = {
  run: (id: string, fn: () => Promise<unknown>) => Promise<unknown>;
  waitForSignal: (
    id: string,
    opts: { signal: string; timeout: string; onConflict: "replace" | "fail" },
  ) => Promise<unknown>;
  sleep: (id: string, duration: string) => Promise<unknown>;
};

export type GateRun = { runId: string; workflowId: string; triggeredBy: { id: string | null; email: string } | null };

export type WfloApproval = <P extends Record<string, unknown> = Record<string, unknown>>(
  gate: string,
  options: ApprovalOptions<P>,
) => Promise<ApprovalResult<P>>;

/**
 * How many wake-ups one phase of a wait takes before the gate stops listening until the phase
 * ends. A real decision wakes a gate at most twice (deliver.ts resends once), so more means
 * someone is sending the signal for a row that is still pending; each costs the run two steps.
 */
const MAX_WAKEUPS = 5;

function jsonSchemaOf(schema: z.ZodType | undefined): Record<string, unknown> | undefined {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * One phase of the wait (until the escalation, or until the deadline): wait for the approval's
 * signal, then read the decision from the row in a step of the run. The signal only says "look
 * now"; a row still pending means an early or forged wake-up, so the gate waits again for what
 * is left of the phase (the read step computes it, so replays wait the same). Null when the
 * phase ends with the row still pending.
 */
async function waitPhase(
  step: GateSteps,
  gate: string,
  approvalId: string,
  phase: WaitPhase,
  timeoutS: number,
): Promise<ApprovalResult | null> {
  const base = phase === "first" ? `approval:${gate}:wait` : `approval:${gate}:wait-escalated`;
  const read = phase === "first" ? `approval:${gate}:decision` : `approval:${gate}:decision-escalated`;
  let left = timeoutS;
  for (let i = 1; left > 0; i++) {
    const n = i === 1 ? "" : `:${i}`;
    if (i > MAX_WAKEUPS) {
      await step.sleep(`${base}:quiet`, `${left}s`);
      return null;
    }
    const woke = await step.waitForSignal(`${base}${n}`, {
      signal: approvalSignal(approvalId),
      timeout: `${left}s`,
      onConflict: "replace",
    });
    if (!woke) return null;
    const row = (await step.run(`${read}${n}`, () => readDecision(getDb(), approvalId, phase))) as RowDecision;
    if (row.kind === "final") return row.result;
    left = row.remainingS;
  }
  return null;
}

/**
 * `wflo.approval(gate, options)`: policy decides (auto-approve, deny, ask); asking inserts a
 * pending approval and waits for its wake-up signal with `step.waitForSignal`, so the run holds
 * no process while it waits and survives restarts. Whatever wakes it, the decision acted on is
 * read from the approval row (see waitPhase). With escalation the wait is split: wait until the
 * escalation delay, escalate in a step, wait until the deadline; then the default applies in a
 * step, which also finds a decision whose wake-up was missed. Step ids derive from the gate
 * name, so every replay is the same.
 */
export function createApproval(step: GateSteps, run: GateRun): WfloApproval {
  return async <P extends Record<string, unknown>>(
    gate: string,
    options: ApprovalOptions<P>,
  ): Promise<ApprovalResult<P>> => {
    const { schema, throwOnReject, ...rest } = options;
    const request: GateRequest = {
      runId: run.runId,
      workflowId: run.workflowId,
      gate,
      triggeredBy: run.triggeredBy,
      options: { ...rest, payloadSchema: jsonSchemaOf(schema) },
    };
    const ticket = (await step.run(`approval:${gate}`, () => requestApproval(getDb(), request))) as GateTicket;

    let result: ApprovalResult | null;
    if (ticket.kind === "final") {
      result = ticket.result;
    } else {
      result = await waitPhase(step, gate, ticket.approvalId, "first", ticket.firstWaitS);
      if (!result && ticket.escalates && ticket.secondWaitS !== null) {
        await step.run(`approval:${gate}:escalate`, () => escalateApproval(getDb(), ticket.approvalId));
        result = await waitPhase(step, gate, ticket.approvalId, "escalated", ticket.secondWaitS);
      }
      if (!result) {
        const expired = (await step.run(`approval:${gate}:deadline`, () =>
          expireApproval(getDb(), ticket.approvalId),
        )) as Awaited<ReturnType<typeof expireApproval>>;
        if ("failRun" in expired) throw new NonRetriableError(expired.message);
        result = expired;
      }
    }
    if (!result.approved && throwOnReject) throw new ApprovalRejectedError(result, gate);
    return result as ApprovalResult<P>;
  };
}
