import { Middleware } from "inngest";
import { z } from "zod";
import { getDb, type Database } from "@/db/client";
import {
  finishRun,
  recordMemoizedSteps,
  recordRequestStart,
  setRunProgress,
  toRecordedError,
  upsertStep,
  type StepIdentity,
} from "@/server/runs/recorder";
import { log, withLogContext } from "@/server/log";
import { readEnvelope, type EnvelopedEvent } from "@/server/runs/envelope";
import { createApproval, type WfloApproval } from "@/server/approvals/gate";
import { gateLlmCalls, gateTrack, type LlmGate } from "@/server/approvals/gated-llm";
import { withLlmGateScope } from "@/server/approvals/llm-gate-scope";
import { createSandbox, type WfloSandbox } from "@/server/sandbox/wflo";
import { createLlm, createTrack, type WfloLlm, type WfloTrack } from "@/server/llm/provider";
import { requestIsAuthentic } from "./request-signature";
import { wrapClient, type WrapOptions } from "@/server/adapters/wrap-client";
import { guardStep } from "@/server/governance/guards/step-guard";
import { createCheckpoints } from "@/server/recovery/checkpoint";
import { recordCompensable } from "@/server/recovery/compensation";
import { recordRecoveryStart, REUSED_WAIT, servedSteps, type ForkOf, type Served } from "@/server/recovery/runtime";

/**
 * The wflo middleware: records every run and step into `runs`/`run_steps` on the SDK side,
 * so it works the same on the embedded engine, an Inngest dev server or Inngest Cloud, and
 * hands every function `ctx.wflo`.
 *
 * Hooks (inngest v4 `Middleware.BaseMiddleware`, one instance per request):
 * - `wrapRequest` sees every execution request and its response. Before the function runs it
 *   upserts the run (first request creates it) and finishes steps whose results arrived in the
 *   memoized state (sleep woke, event matched or timed out, invoke returned, planned parallel
 *   step ran). After, it reads the response the server will get: 200 or a RunComplete op ends
 *   the run, 400 / no-retry fails it, Sleep/WaitForEvent/Invoke ops record those steps and put
 *   the run to sleeping/waiting. It is the only hook that sees those ops: v4 calls the step
 *   hooks for `step.run`/`sendEvent` only.
 * - `onStepStart` / `onStepComplete` / `onStepError` record executed steps with their output,
 *   error and attempt, also when checkpointing keeps them out of the response.
 * - `transformFunctionInput` adds `ctx.wflo` (with `checkpoint`, `checkpointed`, `rollbackToCheckpoint`).
 * - `wrapStepHandler` serves a forked run's reused steps from the parent's records
 *   (server/recovery/runtime.ts): the step still completes durably in the child, but its
 *   handler (an LLM call, say) never runs, so nothing is called or billed twice. It also
 *   records steps their workflow declares a compensation for (server/recovery/compensation.ts).
 *
 * Recording is best-effort: hooks log failures and never fail the user's step, and the
 * lifecycle function (functions/system/run-lifecycle.ts) settles terminal states from the
 * server's own events, including cancellation, which a function cannot observe.
 */

/** wflo's own functions are plumbing, not runs anyone asked for. */
export const SYSTEM_FUNCTION_PREFIX = "system-";

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

const requestBody = z.object({
  event: z.object({ id: z.string().nullish(), name: z.string(), data: z.unknown().optional() }),
  steps: z.record(z.string(), z.unknown()).optional(),
  ctx: z.object({ run_id: z.string(), attempt: z.number().int().nonnegative().default(0) }).optional(),
});

const op = z.object({
  id: z.string(),
  op: z.string(),
  name: z.string().optional(),
  displayName: z.string().optional(),
  opts: z.record(z.string(), z.unknown()).nullish(),
  userland: z.object({ id: z.string() }).optional(),
  data: z.unknown().optional(),
});
type Op = z.infer<typeof op>;

type Fn = { readonly opts: { readonly id: string } };
const workflowIdOf = (fn: Fn) => fn.opts.id;
const recorded = (fn: Fn | null): fn is Fn => Boolean(fn && !fn.opts.id.startsWith(SYSTEM_FUNCTION_PREFIX));

async function safely(what: string, runId: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    log.error({ err, runId, what }, "wflo: could not record run state");
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** Memoized step state as the server sent it: `{data}` or `{error}` (see the protocol notes). */
function memoizedState(steps: Record<string, unknown> | undefined) {
  const out: Record<string, { data?: unknown; error?: unknown }> = {};
  for (const [id, v] of Object.entries(steps ?? {})) {
    if (v && typeof v === "object" && "error" in v && !("data" in v)) out[id] = { error: (v as { error: unknown }).error };
    else if (v && typeof v === "object" && "data" in v) out[id] = { data: (v as { data: unknown }).data };
    else out[id] = { data: v };
  }
  return out;
}

function stepOf(o: Op, kind: string): StepIdentity {
  const stepId = o.userland?.id ?? o.displayName ?? o.name ?? o.id;
  return { hashedId: o.id, stepId, name: o.displayName ?? stepId, kind };
}

const ASYNC_KIND: Record<string, { kind: string; status: "sleeping" | "waiting" | "running" | "queued" }> = {
  Sleep: { kind: "sleep", status: "sleeping" },
  WaitForEvent: { kind: "waitForEvent", status: "waiting" },
  InvokeFunction: { kind: "invoke", status: "waiting" },
  WaitForSignal: { kind: "waitForSignal", status: "waiting" },
  AIGateway: { kind: "ai.infer", status: "running" },
  Gateway: { kind: "fetch", status: "running" },
  StepPlanned: { kind: "run", status: "queued" },
};

function plannedKind(o: Op): string {
  const type = typeof o.opts?.type === "string" ? o.opts.type : undefined;
  return type ? type.replace(/^step\./, "") : "run";
}

function asyncDetail(o: Op): Record<string, unknown> | undefined {
  const opts = o.opts ?? {};
  switch (o.op) {
    case "Sleep":
      return { until: o.name };
    case "WaitForEvent":
      return { event: o.name, timeout: opts.timeout, if: opts.if };
    case "InvokeFunction":
      return { functionId: opts.function_id, timeout: opts.timeout };
    case "WaitForSignal":
      return { signal: opts.signal, timeout: opts.timeout };
    default:
      return undefined;
  }
}

/** The SDK's error for a request whose run was re-dispatched meanwhile (checkpoint answered 409). */
const STALE_DISPATCH = "StaleDispatchError";

/** What one response tells about the run: its ops recorded, the run moved on or finished. */
async function recordResponse(db: Database, runId: string, attempt: number, res: Middleware.Response): Promise<void> {
  const noRetry = Object.entries(res.headers).some(([k, v]) => k.toLowerCase() === "x-inngest-no-retry" && v === "true");
  // The server refused this request's checkpoint (409) because its lease expired and a newer
  // dispatch of the run owns it now: that dispatch reports the outcome. Recording this one as
  // "failed" would stick (terminal states are final) while the run goes on and completes.
  if (res.status >= 500 && toRecordedError(parseJson(res.body)).name === STALE_DISPATCH) return;
  if (res.status === 200) return finishRun(db, runId, { status: "completed", output: parseJson(res.body) });
  if (res.status === 400 || (res.status >= 500 && noRetry)) {
    return finishRun(db, runId, { status: "failed", error: toRecordedError(parseJson(res.body)) });
  }
  if (res.status >= 500) return setRunProgress(db, runId, "running", toRecordedError(parseJson(res.body)));
  if (res.status !== 206) return;

  const parsed = z.array(op).safeParse(parseJson(res.body));
  if (!parsed.success) return;
  const complete = parsed.data.find((o) => o.op === "RunComplete");
  if (complete) return finishRun(db, runId, { status: "completed", output: complete.data });

  let busy = false;
  let waiting = false;
  let sleeping = false;
  for (const o of parsed.data) {
    const known = ASYNC_KIND[o.op];
    if (!known) {
      // StepRun / StepError / StepFailed: the step hooks recorded them.
      busy = true;
      continue;
    }
    const kind = o.op === "StepPlanned" ? plannedKind(o) : known.kind;
    await upsertStep(db, runId, stepOf(o, kind), { status: known.status, attempt, detail: asyncDetail(o) });
    if (known.status === "waiting") waiting = true;
    else if (known.status === "sleeping") sleeping = true;
    else busy = true;
  }
  await setRunProgress(db, runId, busy ? "running" : waiting ? "waiting" : sleeping ? "sleeping" : "running");
}

type StepInfo = Middleware.OnStepStartArgs["stepInfo"];
const stepIdentity = (s: StepInfo): StepIdentity => ({
  hashedId: s.hashedId,
  stepId: s.options.id,
  name: s.options.name ?? s.options.id,
  kind: String(s.stepType),
});

export class WfloMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo";
  /** Set by transformFunctionInput for a forked run; its served steps load once per request. */
  private forkOf: ForkOf | undefined;
  private served: Promise<Served> | undefined;
  /** LLM steps whose approval this request saw granted (require-approval runs only). */
  private readonly approvedLlmSteps = new Set<string>();

  /** The LLM-gate scope of a require-approval run (server/approvals/llm-gate-scope.ts), else undefined. */
  private llmGateScope(fn: Fn | null, ctx: { runId: string; event?: EnvelopedEvent }, step?: string) {
    if (!recorded(fn) || readEnvelope(ctx.event).envelope.requireApproval !== true) return undefined;
    return { runId: ctx.runId, approved: this.approvedLlmSteps, step };
  }

  /** A require-approval run's body runs in its LLM-gate scope: a call made outside a gated step is refused. */
  async wrapFunctionHandler({ ctx, fn, next }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    const scope = this.llmGateScope(fn, ctx);
    return scope ? withLlmGateScope(scope, next) : next();
  }

  transformFunctionInput(arg: Middleware.TransformFunctionInputArgs) {
    const ctx = arg.ctx;
    // Who triggered the run and its own budget travel in wflo's event envelope, believed only
    // when wflo signed it for this event (server/runs/envelope.ts). A dropped envelope leaves
    // userId null: the run still meets every global, workflow and tag budget, and charges nobody's.
    const { envelope } = readEnvelope(ctx.event);
    const run = {
      runId: ctx.runId,
      workflowId: workflowIdOf(arg.fn),
      userId: envelope.triggeredBy?.id ?? null,
      perRunLimitNano: envelope.budgetNano ? BigInt(envelope.budgetNano) : undefined,
    };
    const approval = createApproval(ctx.step, { runId: ctx.runId, workflowId: run.workflowId, triggeredBy: envelope.triggeredBy ?? null });
    // "Require approval" gates every LLM call: wflo.llm and wflo.trackLlmCall here, and through
    // trackLlmCall wflo.wrap, the framework adapters and the SDK; governedLlmCall refuses any
    // other call of the run (server/approvals/llm-gate-scope.ts, scoped by the hooks below).
    const gate: LlmGate | undefined = envelope.requireApproval === true ? { approval, approved: this.approvedLlmSteps } : undefined;
    const trackLlmCall = gateTrack(createTrack(ctx.step, run), gate);
    const wflo: WfloContext = { runId: ctx.runId, workflowId: run.workflowId, llm: gateLlmCalls(createLlm(ctx.step, run), gate), trackLlmCall, approval, sandbox: createSandbox(ctx.step, { runId: ctx.runId, workflowId: run.workflowId, attempt: () => ctx.attempt ?? 0 }), wrap: (client, opts) => wrapClient(client, { trackLlmCall }, opts) };
    this.forkOf = envelope.forkOf;
    const fork = envelope.forkOf;
    const checkpoints = createCheckpoints(ctx.step, ctx.runId, fork?.checkpoint && fork.state !== undefined ? { ...fork.checkpoint, state: fork.state } : undefined);
    return { ...arg, ctx: { ...ctx, wflo: { ...wflo, ...checkpoints } } };
  }

  async wrapRequest(args: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    // Every log line written while this request runs the workflow carries its run (= trace) id.
    return args.runId ? withLogContext({ runId: args.runId }, () => this.recordRequest(args)) : this.recordRequest(args);
  }

  private async recordRequest({ next, fn, runId, requestInfo, requestArgs }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    if (!recorded(fn) || !runId) return next();
    const raw = await requestInfo.body();
    // The SDK checks the engine's signature only inside next(): a forged request is refused there,
    // and must not reach the records before (inngest/request-signature.ts).
    if (!requestIsAuthentic(this.client, requestArgs, raw)) return next();
    const db = getDb();
    const body = requestBody.safeParse(raw);
    const attempt = body.success ? (body.data.ctx?.attempt ?? 0) : 0;
    if (body.success) {
      const { event, steps } = body.data;
      await safely("request start", runId, async () => {
        await recordRequestStart(db, { runId, workflowId: workflowIdOf(fn), event, attempt });
        await recordMemoizedSteps(db, runId, memoizedState(steps));
        await recordRecoveryStart(db, { runId, workflowId: workflowIdOf(fn), event });
      });
    }
    const res = await next();
    await safely("response", runId, () => recordResponse(db, runId, attempt, res));
    return res;
  }

  async onStepStart({ ctx, fn, stepInfo }: Middleware.OnStepStartArgs): Promise<void> {
    if (!recorded(fn)) return;
    await safely("step start", ctx.runId, () => upsertStep(getDb(), ctx.runId, stepIdentity(stepInfo), { status: "running", attempt: ctx.attempt }));
  }

  private async reused(fn: Fn | null): Promise<Served | undefined> {
    if (!this.forkOf || !recorded(fn)) return undefined;
    this.served ??= servedSteps(getDb(), this.forkOf);
    return this.served;
  }

  async wrapStepHandler({ ctx, next, fn, stepInfo }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    // The max-steps guard holds for every step.run, not only LLM calls; a trip fails the run at once.
    if (recorded(fn)) await guardStep(getDb(), { runId: ctx.runId, workflowId: workflowIdOf(fn), stepId: stepInfo.options.id, hashedId: stepInfo.hashedId });
    const served = await this.reused(fn);
    // `has`, not `get`: null is a legal recorded output.
    if (served?.runs.has(stepInfo.hashedId)) return served.runs.get(stepInfo.hashedId);
    const scope = this.llmGateScope(fn, ctx, stepInfo.options.id);
    const handler = scope ? () => withLlmGateScope(scope, next) : next;
    const output = await withLogContext({ runId: ctx.runId, step: stepInfo.options.id }, handler);
    // A step its workflow can undo is recorded inside the step, before its result is committed
    // (server/recovery/compensation.ts). A reused step is not: its effect belongs to the parent run.
    if (recorded(fn)) await recordCompensable(getDb(), { runId: ctx.runId, workflowId: workflowIdOf(fn), stepId: stepInfo.options.id, output });
    return output;
  }

  /** A reused sleep or wait cannot be skipped (the SDK reports it before any hook can), so it is made short. */
  async transformStepInput(arg: Middleware.TransformStepInputArgs): Promise<Middleware.TransformStepInputArgs> {
    const served = await this.reused(arg.fn);
    if (!served?.waits.has(arg.stepInfo.hashedId)) return arg;
    if (arg.stepInfo.stepType === "sleep") return { ...arg, input: [REUSED_WAIT] };
    const [opts] = arg.input;
    // waitForSignal too: a gate's wake-up; the child then reads the parent's decided approval row.
    if ((arg.stepInfo.stepType === "waitForEvent" || arg.stepInfo.stepType === "waitForSignal") && opts && typeof opts === "object") return { ...arg, input: [{ ...opts, timeout: REUSED_WAIT }] };
    return arg;
  }

  /** ...and then resolves to what the parent's sleep or wait resolved to (the event that arrived, say). */
  async wrapStep({ next, fn, stepInfo }: Middleware.WrapStepArgs): Promise<unknown> {
    const served = await this.reused(fn);
    const value = await next();
    return served?.waits.has(stepInfo.hashedId) ? served.waits.get(stepInfo.hashedId) : value;
  }

  async onStepComplete({ ctx, fn, stepInfo, output }: Middleware.OnStepCompleteArgs): Promise<void> {
    if (!recorded(fn)) return;
    const reused = this.forkOf && this.served ? (await this.served).runs.has(stepInfo.hashedId) : false;
    await safely("step complete", ctx.runId, () =>
      upsertStep(getDb(), ctx.runId, stepIdentity(stepInfo), {
        status: "completed",
        attempt: ctx.attempt,
        output,
        error: null,
        ended: true,
        ...(reused && this.forkOf ? { detail: { reusedFrom: this.forkOf.runId } } : {}),
      }),
    );
  }

  async onStepError({ ctx, fn, stepInfo, error, isFinalAttempt }: Middleware.OnStepErrorArgs): Promise<void> {
    if (!recorded(fn)) return;
    await safely("step error", ctx.runId, () =>
      upsertStep(getDb(), ctx.runId, stepIdentity(stepInfo), {
        status: isFinalAttempt ? "failed" : "running",
        attempt: ctx.attempt,
        error: toRecordedError(error),
        ended: isFinalAttempt,
      }),
    );
  }
}
