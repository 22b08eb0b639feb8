import { Middleware } from "inngest";
import { readEnvelope } from "@/server/runs/envelope";
import { newLlmApprovals, withLlmGateScope, type LlmApprovals } from "@/server/approvals/llm-gate-scope";
import { recorded, type Fn } from "./workflow-fn";

/**
 * "Require approval" (`wflo run --require-approval`, in the signed envelope): a require-approval
 * run's body runs in its LLM-gate scope, and so does every step handler, with the step's id
 * (server/approvals/llm-gate-scope.ts). The gated `wflo.llm` / `wflo.trackLlmCall` (built in
 * ./wflo-context.ts) grant a step there once its approval is granted; any other LLM call of
 * the run is refused. Innermost around step handlers: the scope is exactly the handler's.
 */
export class LlmApprovalMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:llm-approval";
  /** This request's granted LLM steps, shared by its body and its step handlers. */
  private approvals: LlmApprovals | undefined;

  private approvalsFor(fn: Fn | null, ctx: Middleware.WrapFunctionHandlerArgs["ctx"]): LlmApprovals | undefined {
    if (!recorded(fn) || readEnvelope(ctx.event).envelope.requireApproval !== true) return undefined;
    this.approvals ??= newLlmApprovals(ctx.runId);
    return this.approvals;
  }

  /** A call made outside a gated step is refused. */
  wrapFunctionHandler({ ctx, fn, next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    const approvals = this.approvalsFor(fn, ctx);
    return approvals ? withLlmGateScope(approvals, undefined, next) : next();
  }

  wrapStepHandler({ ctx, fn, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    const approvals = this.approvalsFor(fn, ctx);
    return approvals ? withLlmGateScope(approvals, stepInfo.options.id, next) : next();
  }
}
