import { Middleware } from "inngest";
import { getDb } from "@/db/client";
import { readEnvelope, type EnvelopedEvent } from "@/server/runs/envelope";
import { REUSED_WAIT, servedSteps, type ForkOf, type Served } from "@/server/recovery/runtime";
import { recorded, type Fn } from "./workflow-fn";

/**
 * Replays a forked run's reused steps from the parent's records (server/recovery/runtime.ts):
 * a reused `step.run` still completes durably in the child, but its handler (an LLM call, say)
 * never runs, so nothing is called or billed twice; a reused sleep or wait is made short and
 * resolves to what the parent's resolved to.
 *
 * The fork comes from the signed envelope (server/runs/envelope.ts); the parent's steps load at
 * most once per request. The recording middleware asks `reusedFrom` to mark a served step as
 * reused: this module owns that per-request state, kept against the request's trigger event
 * object (the one every function hook of the request sees as `ctx.event`).
 */
type ForkRequest = { fork: ForkOf; served?: Promise<Served> };

const forks = new WeakMap<EnvelopedEvent, ForkRequest>();

/** The parent run a completed step of this request was served from, if it was (and its steps loaded). */
export async function reusedFrom(event: EnvelopedEvent, hashedId: string): Promise<string | undefined> {
  const request = forks.get(event);
  if (!request?.served) return undefined;
  return (await request.served).runs.has(hashedId) ? request.fork.runId : undefined;
}

export class ForkReplayMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:fork-replay";
  /** Set by transformFunctionInput for a forked run (transformStepInput gets no ctx to find it by). */
  private request: ForkRequest | undefined;

  transformFunctionInput(arg: Middleware.TransformFunctionInputArgs): Middleware.TransformFunctionInputArgs {
    const fork = readEnvelope(arg.ctx.event).envelope.forkOf;
    if (fork) {
      this.request = { fork };
      forks.set(arg.ctx.event, this.request);
    }
    return arg;
  }

  private async reused(fn: Fn | null): Promise<Served | undefined> {
    if (!this.request || !recorded(fn)) return undefined;
    this.request.served ??= servedSteps(getDb(), this.request.fork);
    return this.request.served;
  }

  async wrapStepHandler({ next, fn, stepInfo }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    const served = await this.reused(fn);
    // `has`, not `get`: null is a legal recorded output.
    if (served?.runs.has(stepInfo.hashedId)) return served.runs.get(stepInfo.hashedId);
    return next();
  }

  /** A reused sleep or wait cannot be skipped (the SDK reports it before any hook can), so it is made short. */
  async transformStepInput(arg: Middleware.TransformStepInputArgs): Promise<Middleware.TransformStepInputArgs> {
    const served = await this.reused(arg.fn);
    if (!served?.waits.has(arg.stepInfo.hashedId)) return arg;
    if (arg.stepInfo.stepType === "sleep") return { ...arg, input: [REUSED_WAIT] };
    const [opts] = arg.input;
    // waitForSignal too: a gate's wake-up; the child then reads the parent's decided approval row.
    if (
      (arg.stepInfo.stepType === "waitForEvent" || arg.stepInfo.stepType === "waitForSignal") &&
      opts &&
      typeof opts === "object"
    )
      return { ...arg, input: [{ ...opts, timeout: REUSED_WAIT }] };
    return arg;
  }

  /** ...and then resolves to what the parent's sleep or wait resolved to (the event that arrived, say). */
  async wrapStep({ next, fn, stepInfo }: Middleware.WrapStepArgs): Promise<unknown> {
    const served = await this.reused(fn);
    const value = await next();
    return served?.waits.has(stepInfo.hashedId) ? served.waits.get(stepInfo.hashedId) : value;
  }
}
