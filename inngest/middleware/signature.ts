import { Middleware } from "inngest";
import { requestIsAuthentic } from "../request-signature";
import { recordedAsRun } from "./workflow-fn";

/**
 * Checks the engine's signature of a request before anything is recorded for it. The SDK checks
 * it only inside `next()`, after every `wrapRequest` has started, so a forged request would reach
 * the run records first (inngest/request-signature.ts). This middleware stands before the
 * recording one and tells it, per request, whether the request is authentic.
 *
 * The SDK builds each middleware itself, so the answer is kept against the request's own
 * `requestInfo` object (the same object every `wrapRequest` of that request receives); it is
 * dropped with the request.
 */
const authentic = new WeakMap<Middleware.WrapRequestArgs["requestInfo"], boolean>();

/** Whether the signature middleware found this request authentic; false when it did not check it. */
export function isAuthenticRequest(requestInfo: Middleware.WrapRequestArgs["requestInfo"]): boolean {
  return authentic.get(requestInfo) === true;
}

export class SignatureMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:signature";

  async wrapRequest({
    next,
    fn,
    runId,
    requestInfo,
    requestArgs,
  }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    // Only requests that would be recorded (the recording middleware's own predicate) are checked;
    // a forged one is refused by the SDK in next().
    if (recordedAsRun(fn) && runId)
      authentic.set(requestInfo, requestIsAuthentic(this.client, requestArgs, await requestInfo.body()));
    return next();
  }
}
