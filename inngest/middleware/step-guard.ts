import { Middleware } from "inngest";
import { getDb } from "@/db/client";
import { guardStep } from "@/server/governance/guards/step-guard";
import { recorded, workflowIdOf } from "./workflow-fn";

/**
 * The max-steps guard holds for every `step.run`, not only LLM calls; a trip fails the run at
 * once (server/governance/guards/step-guard.ts). Before fork replay, so a reused step counts too.
 */
export class StepGuardMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:step-guard";

  async wrapStepHandler({ ctx, fn, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    if (recorded(fn))
      await guardStep(getDb(), {
        runId: ctx.runId,
        workflowId: workflowIdOf(fn),
        stepId: stepInfo.options.id,
        hashedId: stepInfo.hashedId,
      });
    return next();
  }
}
