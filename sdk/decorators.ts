import { getDb } from "@/db/client";
import { stopOrRethrow } from "@/server/llm/provider";
import { currentRun, nextCallId, withinStep, type CurrentRun } from "@/server/adapters/current-run";
import type { EstimateInput } from "@/server/governance";
import { governedLlmCall } from "@/server/governance/governed";
import { readEnvelope } from "@/server/runs/envelope";
import { WfloOptionsError } from "./errors";

/**
 * The reference's decorators as higher-order functions: `checkpoint(name, fn)` and
 * `trackLlmCall({ model }, fn)` return a wrapped async function with the same parameters.
 * Inside a `WfloWorkflow` run (found through the current-run context, whatever framework the
 * call came through) each call is a durable step of the run; outside any run the function runs
 * as it is, since there is no run to record it against.
 */

/** Same rule as server/recovery/checkpoint.ts, checked when the wrapper is made so a typo fails at once. */
const CHECKPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * `@checkpoint(name=...)`: runs `fn` as a durable step named `name` and saves what it returns
 * as checkpoint `name` (the next version on each call); resolves with that saved value (its JSON
 * form). On a resumed or retried run a finished call returns its saved value without running
 * `fn` again. `workflow.rollbackToCheckpoint(name)` reads it back later.
 */
export function checkpoint<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<Awaited<R>> {
  if (typeof name !== "string" || !CHECKPOINT_NAME.test(name)) {
    throw new WfloOptionsError(
      `checkpoint: name ${JSON.stringify(name)} must be 1-100 letters, digits, _ . - and start with a letter or digit`,
    );
  }
  if (typeof fn !== "function") throw new WfloOptionsError(`checkpoint("${name}", fn): fn must be a function`);
  return async (...args: A): Promise<Awaited<R>> => {
    const run = currentRun();
    if (!run) return await fn(...args);
    // The n-th call of this checkpoint in the run (= its version): the key its inner calls replay under.
    const occurrence = nextCallId(run, `checkpoint:${name}`);
    return run.ctx.wflo.checkpointed(name, () =>
      withinStep(run, occurrence, async (): Promise<Awaited<R>> => await fn(...args)),
    );
  };
}

export type TrackLlmCallOptions<A extends unknown[], R> = {
  /** The model the call uses ("gpt-4o-mini", "openai/gpt-4o", "claude-3-5-haiku-latest"): priced from the catalogue. */
  model: string;
  /** The call's max output tokens: its worst case, which the budget must afford before the call. */
  maxOutputTokens?: number;
  /**
   * What the call sends, for the estimate checked against the budget before the call. Default:
   * a string first argument is the prompt, an array of `{ role, content }` (or an object with
   * `messages`) the messages; otherwise the arguments' JSON.
   */
  request?: (...args: A) => Omit<EstimateInput, "model">;
  /** Where the provider's usage is in what `fn` returns (default: the result is a provider response). */
  usageOf?: (result: R) => unknown;
  /** Attribution shown in the cost breakdown's by-agent split, and tags for budgets. */
  agent?: string;
  tags?: string[];
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isMessages = (v: unknown): v is NonNullable<EstimateInput["messages"]> =>
  Array.isArray(v) && v.every((m) => isObj(m) && typeof m.role === "string");

function defaultRequest(args: unknown[]): Omit<EstimateInput, "model"> {
  const [first] = args;
  if (typeof first === "string") return { prompt: first };
  if (isMessages(first)) return { messages: first };
  if (isObj(first) && isMessages(first.messages)) {
    const max = first.max_tokens ?? first.max_output_tokens ?? first.max_completion_tokens;
    return { messages: first.messages, ...(typeof max === "number" ? { maxOutputTokens: max } : {}) };
  }
  return { prompt: JSON.stringify(args) ?? "" };
}

/**
 * `@track_llm_call(model=...)`: each call of the wrapped function is one governed, durable step
 * `track:<model>:<n>` of the run: the budget must afford its worst case BEFORE `fn` runs (else
 * the run stops with BudgetExceededError and `fn` is never called), then the provider's usage
 * is read from the result, priced and recorded against the run. A finished call is memoised:
 * a resumed run gets its result back (as JSON) without calling or paying again.
 */
export function trackLlmCall<A extends unknown[], R>(
  opts: TrackLlmCallOptions<A, Awaited<R>>,
  fn: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<Awaited<R>> {
  if (!isObj(opts) || typeof opts.model !== "string" || !opts.model.trim()) {
    throw new WfloOptionsError(`trackLlmCall: options.model must name the model the call uses, such as "gpt-4o-mini"`);
  }
  if (opts.maxOutputTokens !== undefined && !(Number.isInteger(opts.maxOutputTokens) && opts.maxOutputTokens > 0)) {
    throw new WfloOptionsError(
      `trackLlmCall: options.maxOutputTokens must be a positive whole number (got ${String(opts.maxOutputTokens)})`,
    );
  }
  if (typeof fn !== "function")
    throw new WfloOptionsError(`trackLlmCall({ model: "${opts.model}" }, fn): fn must be a function`);
  const model = opts.model.trim();
  return async (...args: A): Promise<Awaited<R>> => {
    const run = currentRun();
    if (!run) return await fn(...args);
    const estimate = {
      ...(opts.request ? opts.request(...args) : defaultRequest(args)),
      ...(opts.maxOutputTokens !== undefined ? { maxOutputTokens: opts.maxOutputTokens } : {}),
      model,
    };
    const stepId = nextCallId(run, `track:${model}`);
    const call = async (): Promise<Awaited<R>> => await fn(...args);
    const usage = opts.usageOf ? { usageOf: opts.usageOf } : undefined;
    if (run.step) return governedInline(run, `${run.step}/${stepId}`, estimate, opts, call, usage);
    return run.ctx.wflo.trackLlmCall(stepId, { ...estimate, agent: opts.agent, tags: opts.tags }, call, usage);
  };
}

/**
 * A tracked call inside another step's handler (a checkpoint's): steps cannot nest, so the call
 * is governed right here (guards, budget before, usage and price after) and recorded under
 * `<checkpoint step>/track:<model>:<n>`. Its idempotency key is deterministic, so when the
 * enclosing step is retried (a crash before it finished) a call that already settled is replayed
 * from its stored result: not called, not paid again (server/governance/track.ts).
 */
async function governedInline<R>(
  run: CurrentRun,
  stepId: string,
  estimate: EstimateInput,
  opts: { agent?: string; tags?: string[] },
  call: () => Promise<R>,
  usage: { usageOf: (r: R) => unknown } | undefined,
): Promise<R> {
  const { runId, workflowId } = run.ctx.wflo;
  const { envelope } = readEnvelope(run.ctx.event);
  try {
    const out = await governedLlmCall(
      getDb(),
      {
        runId,
        stepId,
        workflow: workflowId,
        agent: opts.agent,
        tags: opts.tags,
        userId: envelope.triggeredBy?.id ?? null,
        perRunLimitNano: envelope.budgetNano ? BigInt(envelope.budgetNano) : undefined,
        idempotencyKey: `${runId}:${stepId}`,
      },
      estimate,
      call,
      usage,
    );
    return out.result;
  } catch (e) {
    // A budget refusal or tripped guard ends the run at once, as for a call in its own step.
    return stopOrRethrow(e);
  }
}
