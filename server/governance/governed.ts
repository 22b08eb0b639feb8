import type { Database } from "@/db/client";
import { writeAudit } from "@/server/audit/chain";
import { kickAlertDispatch } from "@/server/notifications/dispatcher";
import { insertNotification } from "@/server/notifications/service";
import { assertLlmCallApproved } from "@/server/approvals/llm-gate-scope";
import { recordRunStop } from "@/server/runs/stop";
import { BudgetExceededError } from "./errors";
import type { EstimateInput } from "./estimate/estimate";
import { callFingerprint, checkBurnRate, checkGuardsBeforeCall } from "./guards/enforce";
import { formatUsd } from "./money";
import { trackLlmCall, type CallContext, type TrackedCall, type TrackOptions } from "./track";

/** The run-level facts of a BudgetExceededError, JSON-safe (money as nano-dollar strings). */
export function budgetFacts(e: BudgetExceededError) {
  return {
    scope: e.scope,
    scopeValue: e.scopeValue,
    period: e.period,
    budgetId: e.budgetId,
    budgetName: e.budgetName,
    limitNano: e.limitNano.toString(),
    spentNano: e.spentNano.toString(),
    reservedNano: e.reservedNano.toString(),
    requestedNano: e.requestedNano.toString(),
  };
}

const SYSTEM = { id: null, email: "system" } as const;

async function recordBudgetStop(db: Database, ctx: CallContext, e: BudgetExceededError): Promise<void> {
  const facts = budgetFacts(e);
  const what =
    e.scope === "run"
      ? "the run's own budget"
      : e.scope === "global"
        ? "the global budget"
        : `the ${e.scope} budget "${e.budgetName ?? e.scopeValue}"`;
  await db.transaction(async (tx) => {
    const title = `Run stopped: ${what} is exhausted`;
    const message = `Step ${ctx.stepId} of run ${ctx.runId}${ctx.workflow ? ` (${ctx.workflow})` : ""} needed up to ${formatUsd(e.requestedNano)}; spent ${formatUsd(e.spentNano)} of ${formatUsd(e.limitNano)} (${e.period === "lifetime" ? "lifetime" : `per ${e.period}`}).`;
    const fresh = await insertNotification(tx, {
      kind: "budget_exceeded",
      severity: "critical",
      title,
      message,
      runId: ctx.runId,
      workflowId: ctx.workflow ?? null,
      budgetId: e.budgetId,
      details: { ...facts, stepId: ctx.stepId },
      dedupeKey: `budget-exceeded:${ctx.runId}`,
    });
    if (!fresh) return;
    await writeAudit(tx, SYSTEM, {
      action: "budget.run_stopped",
      targetType: "run",
      targetId: ctx.runId,
      after: { ...facts, stepId: ctx.stepId, workflow: ctx.workflow ?? null },
    });
    await recordRunStop(tx, ctx.runId, {
      kind: "budget_exceeded",
      severity: "critical",
      title,
      message,
      details: { ...facts, stepId: ctx.stepId },
    });
  });
}

/**
 * One governed LLM call as wflo's workflow context makes it: runaway guards -> trackLlmCall
 * (reservation -> call -> usage -> price -> settle) -> burn-rate breaker -> alerts. A budget
 * refusal is recorded (notification + audit) before BudgetExceededError is rethrown; alerts
 * are delivered in the background and never fail the call.
 */
export async function governedLlmCall<R>(
  db: Database,
  ctx: CallContext & { workflow: string },
  request: EstimateInput,
  call: () => Promise<R>,
  opts: TrackOptions<R> = {},
): Promise<TrackedCall<R>> {
  // A run started with "require approval" lets a call through only in the step its gate approved.
  assertLlmCallApproved(ctx);
  const fingerprint = callFingerprint({
    model: request.model,
    system: request.system,
    prompt: request.prompt ?? JSON.stringify(request.messages ?? []),
  });
  await checkGuardsBeforeCall(db, { runId: ctx.runId, stepId: ctx.stepId, workflowId: ctx.workflow, fingerprint });
  try {
    const out = await trackLlmCall(db, ctx, request, call, opts);
    await checkBurnRate(db, ctx.workflow, ctx.runId);
    return out;
  } catch (e) {
    if (e instanceof BudgetExceededError) await recordBudgetStop(db, ctx, e);
    throw e;
  } finally {
    void kickAlertDispatch(db, { runId: ctx.runId, workflowId: ctx.workflow });
  }
}
