import { AsyncLocalStorage } from "node:async_hooks";
import { NonRetriableError } from "inngest";

/**
 * "Require approval" for EVERY LLM call of a run, whatever path the call takes (wflo.llm,
 * wflo.trackLlmCall, wflo.wrap(client), the framework adapters, the SDK's trackLlmCall, LangChain
 * callbacks). The approval wait is a `step.waitForSignal`, so a gate can only stand BETWEEN steps,
 * at the workflow level: the gated `wflo.llm` / `wflo.trackLlmCall` ask for approval there,
 * `grantLlmStep` records the grant, and then they run the call as its own step. Everything else
 * converges on `governedLlmCall`, which asks `assertLlmCallApproved` first: in a require-approval
 * run a call is let through only inside the very step its gate approved. A call made inside
 * another step's handler (an SDK `checkpoint(name, fn)`, a LangGraph superstep, the user's own
 * `step.run`) cannot wait there, so it is REFUSED with LlmApprovalRequiredError (the run fails,
 * nothing is called or charged) rather than let through ungated.
 *
 * This module owns the state: each engine request of a require-approval run gets an `LlmApprovals`
 * handle, whose granted steps only this module reads or writes. The llm-approval middleware
 * (inngest/middleware/llm-approval.ts) sets the scope, for require-approval runs only, around
 * the function handler (`step` unset) and around every step handler (`step` set).
 *
 * Kept apart from the adapters' run context (server/adapters/current-run.ts) on purpose: that one
 * is entered by adapter and SDK code inside the body with the function's `ctx` (for call counters
 * and `checkpoint`), this one by the middleware around handlers before any `ctx.wflo` exists; one
 * store would have each setter copy the other's part, so either could silently drop the other.
 */

/** One request's require-approval state: an opaque handle; its granted steps never leave this module. */
export type LlmApprovals = { readonly runId: string };

/** The LLM steps each request saw approved: written by `grantLlmStep`, read by `assertLlmCallApproved`. */
const granted = new WeakMap<LlmApprovals, Set<string>>();

/** A require-approval request's state, held by the llm-approval middleware for the request. */
export function newLlmApprovals(runId: string): LlmApprovals {
  const approvals = Object.freeze({ runId });
  granted.set(approvals, new Set());
  return approvals;
}

type LlmGateScope = {
  approvals: LlmApprovals;
  /** The step whose handler is running, if any. */
  step?: string;
};

const store = new AsyncLocalStorage<LlmGateScope>();

export function withLlmGateScope<T>(
  approvals: LlmApprovals,
  step: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  return store.run(step === undefined ? { approvals } : { approvals, step }, work);
}

/** Records that the gate of LLM step `stepId` was approved, for the request whose scope this runs in. */
export function grantLlmStep(stepId: string): void {
  const s = store.getStore();
  if (s) granted.get(s.approvals)?.add(stepId);
}

/** An LLM call of a require-approval run that could not be put behind an approval. */
export class LlmApprovalRequiredError extends NonRetriableError {
  constructor(message: string) {
    super(message);
    this.name = "LlmApprovalRequiredError";
  }
}

const HOW_TO =
  "Make LLM calls between steps (wflo.llm, wflo.trackLlmCall, wflo.wrap(client), the SDK's trackLlmCall outside checkpoint), or start the run without require approval.";

/** Refuses a gate asked for inside a step handler: a durable wait cannot happen there. */
export function refuseGateInsideStep(stepId: string): void {
  const s = store.getStore();
  if (s?.step === undefined) return;
  throw new LlmApprovalRequiredError(
    `LLM call "${stepId}" refused: this run requires approval for every LLM call, and a call made inside step "${s.step}" cannot wait for one (steps cannot nest). ${HOW_TO}`,
  );
}

/**
 * Called by `governedLlmCall` before anything else: outside a require-approval run it does
 * nothing; inside one it lets the call through only in the step its gate approved.
 */
export function assertLlmCallApproved(call: { runId: string; stepId: string }): void {
  const s = store.getStore();
  if (!s || s.approvals.runId !== call.runId) return;
  if (s.step !== undefined && s.step === call.stepId && granted.get(s.approvals)?.has(s.step) === true) return;
  const where = s.step === undefined ? "outside any step" : `inside step "${s.step}"`;
  throw new LlmApprovalRequiredError(
    `LLM call "${call.stepId}" refused: this run requires approval for every LLM call, and this call was made ${where}, where it cannot wait for an approval. ${HOW_TO}`,
  );
}
