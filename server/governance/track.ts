import { and, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { llmCallResults, llmCalls, reservations } from "@/db/schema";
import { log } from "@/server/log";
import { reserve, settle, type Reservation } from "./budgets/reservations";
import { estimateCallCost, type EstimateInput } from "./estimate/estimate";
import { getPriceBook, type ResolvedPrice } from "./pricing/price-book";
import { costOf, flatten } from "./pricing/rates";
import { extractUsage } from "./usage/extract";
import { captureLlmPayload } from "@/server/tracing/capture";
import type { ExtractedUsage } from "./usage/types";

/** Who a call is for: the budget scopes it is held against and where it is recorded. */
export type CallContext = {
  runId: string;
  stepId: string;
  workflow?: string | null;
  agent?: string | null;
  userId?: string | null;
  apiKeyId?: string | null;
  tags?: string[];
  /** The run's own limit (wflo run --budget), nano-dollars. */
  perRunLimitNano?: bigint;
  /**
   * Same key on a retry of the same durable step: an unsettled reservation is reused, not
   * doubled, and a call already settled with status 'ok' is replayed from its recorded result
   * (no provider call, no new charge).
   */
  idempotencyKey?: string;
  /** Calls answered by the demo provider. */
  simulated?: boolean;
};

export type TrackedCall<R> = {
  result: R;
  usage: ExtractedUsage;
  costNano: bigint;
  estimateNano: bigint;
  callId: number | null;
  reservationId: string;
  price: ResolvedPrice | null;
  /** True when this is a settled call's recorded result, replayed for a retried step (nothing was called or charged). */
  replayed?: boolean;
};

export type TrackOptions<R> = {
  /** Where the usage is, when the call's result is not itself the provider response. */
  usageOf?: (result: R) => unknown;
};

/** Like Inngest's step output limit: a bigger result is not stored, and a retry calls again. */
export const REPLAY_RESULT_CAP_BYTES = 4 * 1024 * 1024;

/** The result's JSON when it can be stored for replay (JSON-serialisable, at most 4 MiB), else undefined. */
function replayableJson(result: unknown): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch {
    return undefined; // bigint, cycles, a throwing toJSON
  }
  if (json === undefined || Buffer.byteLength(json, "utf8") > REPLAY_RESULT_CAP_BYTES) return undefined;
  return json;
}

/**
 * Records the raw result of a successful call under its idempotency key, BEFORE it is settled:
 * once settled (status 'ok') it is what a retry of the step gets back. Best-effort: a failure
 * (e.g. a NUL character jsonb refuses) only loses the replay, never the call.
 */
async function storeResult(
  db: Database,
  key: string | undefined,
  reservationId: string,
  result: unknown,
): Promise<void> {
  if (!key) return;
  const json = replayableJson(result);
  if (json === undefined) return;
  try {
    await db
      .insert(llmCallResults)
      .values({ idempotencyKey: key, reservationId, result: sql`${json}::jsonb` })
      .onConflictDoUpdate({
        target: llmCallResults.idempotencyKey,
        set: { reservationId, result: sql`excluded.result`, createdAt: sql`now()` },
      });
  } catch (err) {
    log.warn(
      { err, reservationId },
      "could not store the LLM call's result for replay; a retried step would call again",
    );
  }
}

/** The call settled with status 'ok' under this key, with its recorded result, or null. */
async function recordedCall<R>(
  db: Database,
  key: string,
  book: Awaited<ReturnType<typeof getPriceBook>>,
): Promise<TrackedCall<R> | null> {
  const [row] = await db
    .select({
      result: llmCallResults.result,
      reservationId: llmCallResults.reservationId,
      amountNano: reservations.amountNano,
      callId: llmCalls.id,
      provider: llmCalls.provider,
      model: llmCalls.model,
      inputTokens: llmCalls.inputTokens,
      outputTokens: llmCalls.outputTokens,
      cachedInputTokens: llmCalls.cachedInputTokens,
      cacheWriteTokens: llmCalls.cacheWriteTokens,
      reasoningTokens: llmCalls.reasoningTokens,
      costNano: llmCalls.costNano,
      priceSource: llmCalls.priceSource,
    })
    .from(llmCallResults)
    .innerJoin(llmCalls, and(eq(llmCalls.reservationId, llmCallResults.reservationId), eq(llmCalls.status, "ok")))
    .innerJoin(reservations, eq(reservations.id, llmCallResults.reservationId))
    .where(eq(llmCallResults.idempotencyKey, key))
    .limit(1);
  if (!row) return null;
  const { result, reservationId, amountNano, callId, costNano, priceSource, ...usage } = row;
  return {
    result: result as R,
    usage,
    costNano,
    estimateNano: amountNano,
    callId,
    reservationId,
    // The price as resolved now for the recorded model (the charge itself is costNano).
    price: priceSource === "unpriced" ? null : book.resolve(usage.model, usage.provider),
    replayed: true,
  };
}

async function reserveFor<R>(
  db: Database,
  ctx: CallContext,
  request: EstimateInput,
  price: ResolvedPrice | null,
  estimateNano: bigint,
  replay: (key: string) => Promise<TrackedCall<R> | null>,
): Promise<{ reservation: Reservation; replay?: undefined } | { replay: TrackedCall<R> }> {
  const base = {
    runId: ctx.runId,
    stepId: ctx.stepId,
    workflow: ctx.workflow,
    agent: ctx.agent,
    userId: ctx.userId,
    apiKeyId: ctx.apiKeyId,
    tags: ctx.tags,
    perRunLimitNano: ctx.perRunLimitNano,
    estimateNano,
    unpriced: price === null,
    model: request.model,
    provider: request.provider ?? null,
  };
  const r = await reserve(db, { ...base, idempotencyKey: ctx.idempotencyKey });
  if (r.reused && r.status !== "active") {
    // This key's reservation was settled: a call happened. If a call under this key (this one
    // or a later attempt's) succeeded and its result was recorded, the retried step gets it
    // back, even when the budget is now exhausted. Otherwise (it failed) this is a new call.
    const recorded = ctx.idempotencyKey ? await replay(ctx.idempotencyKey) : null;
    if (recorded) return { replay: recorded };
    return { reservation: await reserve(db, base) };
  }
  return { reservation: r };
}

/**
 * The whole governed call: price -> worst-case estimate -> reservation on every applicable
 * budget (throws BudgetExceededError / UnpricedModelError before any money is spent) ->
 * `call()` -> usage extracted -> priced exactly -> settled. A failed call is recorded with
 * status 'error' and no cost; unreadable usage is charged at the estimate (never lost).
 *
 * Inside an Inngest function, run it inside one `step.run` so a completed call is memoised
 * and never paid twice. With an `idempotencyKey`, a call already settled with status 'ok'
 * under that key (the process died after the settle, before the step's result was saved) is
 * replayed: its recorded result, usage, cost and callId come back (`replayed: true`) without
 * calling the provider or charging again. The replayed result is the stored JSON of the first
 * one (as Inngest's memoised step value is); a result that is not JSON-serialisable or over
 * 4 MiB is not stored, and such a retry calls again. Failed calls are never replayed.
 */
export async function trackLlmCall<R>(
  db: Database,
  ctx: CallContext,
  request: EstimateInput,
  call: () => Promise<R>,
  opts: TrackOptions<R> = {},
): Promise<TrackedCall<R>> {
  const book = await getPriceBook(db);
  const price = book.resolve(request.model, request.provider);
  const { estimateNano } = estimateCallCost(price, request);
  const held = await reserveFor<R>(db, ctx, request, price, estimateNano, (key) => recordedCall<R>(db, key, book));
  if (held.replay) return held.replay;
  const { reservation } = held;
  const started = performance.now();
  const record = (p: ResolvedPrice | null, usage: ExtractedUsage) => ({
    provider: usage.provider ?? p?.provider ?? request.provider ?? "unknown",
    model: usage.model ?? request.model,
    usage,
    priceVersionId: p?.priceVersionId ?? null,
    priceSource: p?.source ?? ("unpriced" as const),
    rates: p ? flatten(p.rates, usage.inputTokens) : null,
    latencyMs: Math.round(performance.now() - started),
    simulated: ctx.simulated ?? false,
  });

  let result: R;
  try {
    result = await call();
  } catch (e) {
    const none: ExtractedUsage = {
      provider: null,
      model: null,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    const s = await settle(db, reservation.id, 0n, {
      ...record(price, none),
      status: "error",
      error: String((e as Error)?.message ?? e).slice(0, 2000),
    });
    await captureLlmPayload(db, s.callId, ctx.runId, request, null);
    throw e;
  }

  let usage: ExtractedUsage;
  try {
    usage = extractUsage(opts.usageOf ? opts.usageOf(result) : result, {
      model: request.model,
      provider: request.provider ?? price?.provider,
    });
  } catch (e) {
    const unknownUsage: ExtractedUsage = {
      provider: null,
      model: null,
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    await storeResult(db, ctx.idempotencyKey, reservation.id, result);
    const s = await settle(db, reservation.id, estimateNano, {
      ...record(price, unknownUsage),
      error: `usage unreadable, charged the estimate: ${(e as Error).message}`,
    });
    await captureLlmPayload(db, s.callId, ctx.runId, request, result);
    return {
      result,
      usage: unknownUsage,
      costNano: estimateNano,
      estimateNano,
      callId: s.callId,
      reservationId: reservation.id,
      price,
    };
  }
  // The provider may name a more specific model ("gpt-4o-2024-08-06"): its price wins only
  // where the requested name had none, or where an admin priced the specific one.
  let charged = price;
  if (usage.model && usage.model !== price?.model) {
    const alt = book.resolve(usage.model, usage.provider);
    if (alt && (!price || (alt.source === "override" && price.source !== "override"))) charged = alt;
  }
  const costNano = charged ? costOf(usage, charged.rates) : 0n;
  await storeResult(db, ctx.idempotencyKey, reservation.id, result);
  const s = await settle(db, reservation.id, costNano, record(charged, usage));
  await captureLlmPayload(db, s.callId, ctx.runId, request, result);
  return { result, usage, costNano, estimateNano, callId: s.callId, reservationId: reservation.id, price: charged };
}
