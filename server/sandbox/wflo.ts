import { NonRetriableError } from "inngest";
import { getDb } from "@/db/client";
import { runSandbox } from "./run";
import {
  SandboxInputError,
  SandboxPolicyError,
  SandboxUnavailableError,
  type SandboxRequestInput,
  type SandboxResult,
} from "./types";

/**
 * `ctx.wflo.sandbox`: `run(stepId, request)` (or `run(request)`, step id "sandbox") executes
 * agent-written code as ONE durable step, so a finished execution is memoized and never runs
 * twice on replay. The step returns the result whatever the code did (a crash or timeout is the
 * code's outcome, not a failed step); bad input, policy refusals and a missing provider stop
 * the run without retries, since retrying cannot change them.
 */

type StepRunner = { run: (id: string, fn: () => Promise<unknown>) => Promise<unknown> };
export type SandboxRunContext = { runId: string; workflowId: string; attempt: () => number };

export type WfloSandbox = {
  run(stepId: string, request: SandboxRequestInput): Promise<SandboxResult>;
  run(request: SandboxRequestInput): Promise<SandboxResult>;
};

const DEFAULT_STEP_ID = "sandbox";

export function createSandbox(step: StepRunner, run: SandboxRunContext): WfloSandbox {
  const exec = async (stepId: string, request: SandboxRequestInput) =>
    (await step.run(stepId, async () => {
      try {
        return await runSandbox(
          getDb(),
          { runId: run.runId, stepId, workflowId: run.workflowId, attempt: run.attempt() },
          request,
        );
      } catch (e) {
        if (e instanceof SandboxInputError || e instanceof SandboxPolicyError || e instanceof SandboxUnavailableError) {
          throw new NonRetriableError(e.message, { cause: { name: e.name } });
        }
        throw e;
      }
    })) as SandboxResult;
  return {
    run: ((a: string | SandboxRequestInput, b?: SandboxRequestInput) =>
      typeof a === "string" ? exec(a, b as SandboxRequestInput) : exec(DEFAULT_STEP_ID, a)) as WfloSandbox["run"],
  };
}
