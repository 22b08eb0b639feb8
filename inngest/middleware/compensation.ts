import { Middleware } from "inngest";
import { getDb } from "@/db/client";
import { recordCompensable } from "@/server/recovery/compensation";
import { recorded, workflowIdOf } from "./workflow-fn";

/**
 * A step its workflow can undo is recorded inside the step, before its result is committed
 * (server/recovery/compensation.ts). After fork replay in the list: a reused step returns there
 * and is not recorded here, its effect belongs to the parent run.
 */
export class CompensationMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:compensation";

  async wrapStepHandler({ ctx, fn, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    const output = await next();
    if (recorded(fn))
      await recordCompensable(getDb(), {
        runId: ctx.runId,
        workflowId: workflowIdOf(fn),
        stepId: stepInfo.options.id,
        output,
      });
    return output;
  }
}
