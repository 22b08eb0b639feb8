import { AsyncLocalStorage } from "node:async_hooks";
import { NonRetriableError } from "inngest";

/**
 * "Require approval" for EVERY LLM call of a run, whatever path the call takes (wflo.llm,
 * wflo.trackLlmCall, wflo.wrap(client), the framework adapters, the SDK's trackLlmCall, LangChain
 * callbacks). The approval wait is a `step.waitForSignal`, so a gate can only stand BETWEEN steps,
 * at the workflow level: the gated `wflo.llm` / `wflo.trackLlmCall` ask for approval there and
 * then run the call as its own step. Everything else converges on `governedLlmCall`, which asks
 * `assertLlmCallApproved` first: in a require-approval run a call is let through only inside the
 * very step its gate approved. A call made inside another step's handler (an SDK
 * `checkpoint(name, fn)`, a LangGraph superstep, the user's own `step.run`) cannot wait there,
 * so it is REFUSED with LlmApprovalRequiredError (the run fails, nothing is called or charged)
 * rather than let through ungated.
 *
 * The scope is set by the wflo middleware (inngest/middleware.ts) only for require-approval
 * runs: around the function handler (`step` unset) and around every step handler (`step` set).
 */
export type LlmGateScope = {
  runId: string;
  /** Step ids whose approval was granted in this request (shared by the whole request). */
  approved: Set<string>;
  /** The step whose handler is running, if any. */
  step?: string;
};

const store = new AsyncLocalStorage<LlmGateScope>();

export function withLlmGateScope<T>(scope: LlmGateScope, work: () => Promise<T>): Promise<T> {
  return store.run(scope, work);
}

export function llmGateScope(): LlmGateScope | undefined {
  return store.getStore();
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
  if (!s || s.runId !== call.runId) return;
  if (s.step !== undefined && s.step === call.stepId && s.approved.has(s.step)) return;
  const where = s.step === undefined ? "outside any step" : `inside step "${s.step}"`;
  throw new LlmApprovalRequiredError(
    `LLM call "${call.stepId}" refused: this run requires approval for every LLM call, and this call was made ${where}, where it cannot wait for an approval. ${HOW_TO}`,
  );
}
