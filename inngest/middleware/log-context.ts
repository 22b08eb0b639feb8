import { Middleware } from "inngest";
import { withLogContext } from "@/server/log";

/**
 * Every log line written while a request runs the workflow carries its run (= trace) id, and
 * while a step's handler runs, its step id too. First in the list, so the other middlewares'
 * own lines (recording failures, say) carry them as well.
 */
export class LogContextMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:log-context";

  wrapRequest({ runId, next }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    return runId ? withLogContext({ runId }, next) : next();
  }

  wrapStepHandler({ ctx, stepInfo, next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    return withLogContext({ runId: ctx.runId, step: stepInfo.options.id }, next);
  }
}
