/**
 * wflo's SDK: the reference's API in TypeScript (`import { WfloWorkflow } from "wflo/sdk"`).
 *
 *   const workflow = new WfloWorkflow({ name: "my-workflow", budgetUsd: 2 });
 *   const result = await workflow.execute(myAgent, { topic: "MVCC" });
 *   workflow.executionId; await workflow.getCostBreakdown(); await workflow.rollbackToCheckpoint("draft");
 *
 * Runs execute on wflo's engine (durably: memoised steps, resumable after a crash) and are
 * recorded in the control panel. See sdk/README.md for what a script needs.
 *
 * The REST client is its own entry, `wflo/client` (sdk/client.ts): it needs only `fetch`, so
 * services that talk to a control panel over HTTP do not load the engine-side SDK.
 */
export {
  WfloWorkflow,
  type WfloWorkflowOptions,
  type ExecuteOptions,
  type CostBreakdown,
  type CostLine,
} from "./workflow";
export { shutdown } from "./environment";
export { checkpoint, trackLlmCall, type TrackLlmCallOptions } from "./decorators";
export {
  BudgetExceededError,
  WorkflowRunError,
  WfloOptionsError,
  WfloConnectionError,
  ExecutionDetachedError,
} from "./errors";
export type { WfloFunction, WfloTools } from "@/server/adapters/frameworks/function";
export { UnsupportedTargetError } from "@/server/adapters/framework";
/** Throw it from a target to fail the run at once instead of retrying. */
export { NonRetriableError } from "inngest";
