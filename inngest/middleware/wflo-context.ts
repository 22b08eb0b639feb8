import { Middleware } from "inngest";
import { readEnvelope } from "@/server/runs/envelope";
import { createApproval, type WfloApproval } from "@/server/approvals/gate";
import { gateLlmCalls, gateTrack, type LlmGate } from "@/server/approvals/gated-llm";
import { createSandbox, type WfloSandbox } from "@/server/sandbox/wflo";
import { createLlm, createTrack, type WfloLlm, type WfloTrack } from "@/server/llm/provider";
import { wrapClient, type WrapOptions } from "@/server/adapters/wrap-client";
import { createCheckpoints, type WfloCheckpoints } from "@/server/recovery/checkpoint";
import { workflowIdOf, type Fn } from "./workflow-fn";

/** What every workflow function gets as `ctx.wflo`, built in this one place from the capability factories. */
export type WfloContext = {
  runId: string;
  workflowId: string;
  /** Durable, governed LLM calls: each is one step (guards, budget, price); simulated without provider keys. */
  llm: WfloLlm;
  /** Governs a call the workflow's own code makes: `wflo.trackLlmCall(stepId, { model, messages }, () => client.call(...))`. */
  trackLlmCall: WfloTrack;
  /** An approval gate: policy decides, or the run waits durably for a person (server/approvals/gate.ts). */
  approval: WfloApproval;
  /** Runs agent-written code in the configured sandbox as one durable step (server/sandbox). */
  sandbox: WfloSandbox;
  /** The same client (openai, @anthropic-ai/sdk, @google/genai) with every LLM call governed as a durable step `llm:<model>:<n>` (server/adapters). */
  wrap: <C extends object>(client: C, opts?: WrapOptions) => C;
};

type FunctionCtx = Middleware.TransformFunctionInputArgs["ctx"];

/** `ctx.wflo` for one request of a run, plus its checkpoints (`checkpoint`, `checkpointed`, `rollbackToCheckpoint`). */
export function createWflo(ctx: FunctionCtx, fn: Fn): WfloContext & WfloCheckpoints {
  // Who triggered the run and its own budget travel in wflo's event envelope, believed only
  // when wflo signed it for this event (server/runs/envelope.ts). A dropped envelope leaves
  // userId null: the run still meets every global, workflow and tag budget, and charges nobody's.
  const { envelope } = readEnvelope(ctx.event);
  const run = {
    runId: ctx.runId,
    workflowId: workflowIdOf(fn),
    userId: envelope.triggeredBy?.id ?? null,
    perRunLimitNano: envelope.budgetNano ? BigInt(envelope.budgetNano) : undefined,
  };
  const approval = createApproval(ctx.step, {
    runId: ctx.runId,
    workflowId: run.workflowId,
    triggeredBy: envelope.triggeredBy ?? null,
  });
  // "Require approval" gates every LLM call: wflo.llm and wflo.trackLlmCall here, and through
  // trackLlmCall wflo.wrap, the framework adapters and the SDK; governedLlmCall refuses any
  // other call of the run (server/approvals/llm-gate-scope.ts, scoped by ./llm-approval.ts).
  const gate: LlmGate | undefined = envelope.requireApproval === true ? { approval } : undefined;
  const trackLlmCall = gateTrack(createTrack(ctx.step, run), gate);
  const fork = envelope.forkOf;
  const checkpoints = createCheckpoints(
    ctx.step,
    ctx.runId,
    fork?.checkpoint && fork.state !== undefined ? { ...fork.checkpoint, state: fork.state } : undefined,
  );
  return {
    runId: ctx.runId,
    workflowId: run.workflowId,
    llm: gateLlmCalls(createLlm(ctx.step, run), gate),
    trackLlmCall,
    approval,
    sandbox: createSandbox(ctx.step, { runId: ctx.runId, workflowId: run.workflowId, attempt: () => ctx.attempt ?? 0 }),
    wrap: (client, opts) => wrapClient(client, { trackLlmCall }, opts),
    ...checkpoints,
  };
}

/** Hands every function `ctx.wflo`. */
export class WfloContextMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:context";

  transformFunctionInput(arg: Middleware.TransformFunctionInputArgs) {
    return { ...arg, ctx: { ...arg.ctx, wflo: createWflo(arg.ctx, arg.fn) } };
  }
}
