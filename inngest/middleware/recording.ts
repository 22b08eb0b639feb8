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
import { log } from "@/server/log";
import { recordRecoveryStart } from "@/server/recovery/runtime";
import { reusedFrom } from "./fork-replay";
import { isAuthenticRequest } from "./signature";
import { recordedAsRun, systemRun, workflowIdOf } from "./workflow-fn";

/**
 * Records every run and step into `runs`/`run_steps` on the SDK side, so it works the same on
 * the embedded engine, an Inngest dev server or Inngest Cloud.
 *
 * - `wrapRequest` sees every execution request and its response. Before the function runs it
 *   upserts the run (first request creates it) and finishes steps whose results arrived in the
 *   memoized state (sleep woke, event matched or timed out, invoke returned, planned parallel
 *   step ran). After, it reads the response the server will get: 200 or a RunComplete op ends
 *   the run, 400 / no-retry fails it, Sleep/WaitForEvent/Invoke ops record those steps and put
 *   the run to sleeping/waiting. It is the only hook that sees those ops: v4 calls the step
 *   hooks for `step.run`/`sendEvent` only. A request the signature middleware did not find
 *   authentic records nothing (./signature.ts).
 * - `onStepStart` / `onStepComplete` / `onStepError` record executed steps with their output,
 *   error and attempt, also when checkpointing keeps them out of the response.
 *
 * Recording is best-effort: hooks log failures and never fail the user's step, and the
 * lifecycle function (functions/system/run-lifecycle.ts) settles terminal states from the
 * server's own events, including cancellation, which a function cannot observe.
 */

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
    if (v && typeof v === "object" && "error" in v && !("data" in v))
      out[id] = { error: (v as { error: unknown }).error };
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
  const noRetry = Object.entries(res.headers).some(
    ([k, v]) => k.toLowerCase() === "x-inngest-no-retry" && v === "true",
  );
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

export class RecordingMiddleware extends Middleware.BaseMiddleware {
  readonly id = "wflo:recording";

  async wrapRequest({ next, fn, runId, requestInfo }: Middleware.WrapRequestArgs): Promise<Middleware.Response> {
    if (!recordedAsRun(fn) || !runId) return next();
    // A forged request is refused by the SDK inside next(), and must not reach the records before.
    if (!isAuthenticRequest(requestInfo)) return next();
    const raw = await requestInfo.body();
    const db = getDb();
    const body = requestBody.safeParse(raw);
    const attempt = body.success ? (body.data.ctx?.attempt ?? 0) : 0;
    if (body.success) {
      const { event, steps } = body.data;
      const system = systemRun(fn);
      await safely("request start", runId, async () => {
        await recordRequestStart(db, { runId, workflowId: workflowIdOf(fn), event, attempt, system });
        await recordMemoizedSteps(db, runId, memoizedState(steps));
        // A scheduled system run is shown, never forked or rolled back: it has no recovery facts.
        if (!system) await recordRecoveryStart(db, { runId, workflowId: workflowIdOf(fn), event });
      });
    }
    const res = await next();
    await safely("response", runId, () => recordResponse(db, runId, attempt, res));
    return res;
  }

  async onStepStart({ ctx, fn, stepInfo }: Middleware.OnStepStartArgs): Promise<void> {
    if (!recordedAsRun(fn)) return;
    await safely("step start", ctx.runId, () =>
      upsertStep(getDb(), ctx.runId, stepIdentity(stepInfo), { status: "running", attempt: ctx.attempt }),
    );
  }

  async onStepComplete({ ctx, fn, stepInfo, output }: Middleware.OnStepCompleteArgs): Promise<void> {
    if (!recordedAsRun(fn)) return;
    // A forked run's step served from its parent's records (./fork-replay.ts) says so.
    const parent = await reusedFrom(ctx.event, stepInfo.hashedId);
    await safely("step complete", ctx.runId, () =>
      upsertStep(getDb(), ctx.runId, stepIdentity(stepInfo), {
        status: "completed",
        attempt: ctx.attempt,
        output,
        error: null,
        ended: true,
        ...(parent ? { detail: { reusedFrom: parent } } : {}),
      }),
    );
  }

  async onStepError({ ctx, fn, stepInfo, error, isFinalAttempt }: Middleware.OnStepErrorArgs): Promise<void> {
    if (!recordedAsRun(fn)) return;
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
