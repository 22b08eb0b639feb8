import { CompensationMiddleware } from "./compensation";
import { ForkReplayMiddleware } from "./fork-replay";
import { LlmApprovalMiddleware } from "./llm-approval";
import { LogContextMiddleware } from "./log-context";
import { RecordingMiddleware } from "./recording";
import { SignatureMiddleware } from "./signature";
import { StepGuardMiddleware } from "./step-guard";
import { WfloContextMiddleware } from "./wflo-context";

export { SYSTEM_FUNCTION_PREFIX } from "./workflow-fn";
export { createWflo, type WfloContext } from "./wflo-context";

/**
 * wflo's middlewares, one concern each, in the order every Inngest client of wflo's (the app's,
 * inngest/client.ts, and the SDK hosts', sdk/host.ts) lists them. The SDK builds one instance of
 * each per request, calls `on*` / `transform*` hooks in this order and nests `wrap*` hooks with
 * the first outermost; what one concern needs from another is asked of that concern's module
 * (./signature.ts, ./fork-replay.ts), never kept in a shared global.
 *
 * - log-context: outermost, so every line of the others carries the run (and step) id;
 * - signature before recording: a forged request records nothing;
 * - wflo-context builds `ctx.wflo`;
 * - around a step handler: step-guard (max steps, reused steps count too), then fork-replay
 *   (a reused step returns its recorded output: no handler, no compensation record), then
 *   compensation (records the handler's output), then llm-approval (the require-approval scope
 *   is exactly the handler's).
 */
export const wfloMiddleware: [
  typeof LogContextMiddleware,
  typeof SignatureMiddleware,
  typeof RecordingMiddleware,
  typeof WfloContextMiddleware,
  typeof StepGuardMiddleware,
  typeof ForkReplayMiddleware,
  typeof CompensationMiddleware,
  typeof LlmApprovalMiddleware,
] = [
  LogContextMiddleware,
  SignatureMiddleware,
  RecordingMiddleware,
  WfloContextMiddleware,
  StepGuardMiddleware,
  ForkReplayMiddleware,
  CompensationMiddleware,
  LlmApprovalMiddleware,
];
