import type { Database } from "@/db/client";
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
  /** Same key on a retry of the same durable step: an unsettled reservation is reused, not doubled. */
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
};

export type TrackOptions<R> = {
  /** Where the usage is, when the call's result is not itself the provider response. */
  usageOf?: (result: R) => unknown;
};

async function reserveFor(db: Database, ctx: CallContext, request: EstimateInput, price: ResolvedPrice | null, estimateNano: bigint): Promise<Reservation> {
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
  // A reservation this key made earlier and already settled belongs to a call that happened: this is a new one.
  if (r.reused && r.status !== "active") return reserve(db, base);
  return r;
}

/**
 * The whole governed call: price -> worst-case estimate -> reservation on every applicable
 * budget (throws BudgetExceededError / UnpricedModelError before any money is spent) ->
 * `call()` -> usage extracted -> priced exactly -> settled. A failed call is recorded with
 * status 'error' and no cost; unreadable usage is charged at the estimate (never lost).
 *
 * Inside an Inngest function, run it inside one `step.run` so a completed call is memoised
 * and never paid twice.
 */
export async function trackLlmCall<R>(db: Database, ctx: CallContext, request: EstimateInput, call: () => Promise<R>, opts: TrackOptions<R> = {}): Promise<TrackedCall<R>> {
  const book = await getPriceBook(db);
  const price = book.resolve(request.model, request.provider);
  const { estimateNano } = estimateCallCost(price, request);
  const reservation = await reserveFor(db, ctx, request, price, estimateNano);
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
    const none: ExtractedUsage = { provider: null, model: null, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const s = await settle(db, reservation.id, 0n, { ...record(price, none), status: "error", error: String((e as Error)?.message ?? e).slice(0, 2000) });
    await captureLlmPayload(db, s.callId, ctx.runId, request, null);
    throw e;
  }

  let usage: ExtractedUsage;
  try {
    usage = extractUsage(opts.usageOf ? opts.usageOf(result) : result, { model: request.model, provider: request.provider ?? price?.provider });
  } catch (e) {
    const unknownUsage: ExtractedUsage = { provider: null, model: null, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const s = await settle(db, reservation.id, estimateNano, { ...record(price, unknownUsage), error: `usage unreadable, charged the estimate: ${(e as Error).message}` });
    await captureLlmPayload(db, s.callId, ctx.runId, request, result);
    return { result, usage: unknownUsage, costNano: estimateNano, estimateNano, callId: s.callId, reservationId: reservation.id, price };
  }
  // The provider may name a more specific model ("gpt-4o-2024-08-06"): its price wins only
  // where the requested name had none, or where an admin priced the specific one.
  let charged = price;
  if (usage.model && usage.model !== price?.model) {
    const alt = book.resolve(usage.model, usage.provider);
    if (alt && (!price || (alt.source === "override" && price.source !== "override"))) charged = alt;
  }
  const costNano = charged ? costOf(usage, charged.rates) : 0n;
  const s = await settle(db, reservation.id, costNano, record(charged, usage));
  await captureLlmPayload(db, s.callId, ctx.runId, request, result);
  return { result, usage, costNano, estimateNano, callId: s.callId, reservationId: reservation.id, price: charged };
}
