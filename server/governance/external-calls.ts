import type { Database } from "@/db/client";
import { assertCallInScope, reservationInScope } from "@/server/apikeys/scope";
import type { ApiKeyPrincipal } from "@/server/auth/principal";
import { DomainError } from "@/server/errors";
import { reserve, settle } from "./budgets/reservations";
import { getPriceBook, type ResolvedPrice } from "./pricing/price-book";
import { costOf, flatten } from "./pricing/rates";

/**
 * LLM calls made outside wflo, reported with an API key (REST /llm-calls, /budget/reservations):
 * held against the same budgets and priced by the same price book as in-workflow calls. A
 * workflow-scoped key may report only calls of its workflows (403 naming the workflow; a
 * reservation of another workflow's call answers 404): checked here, the one place.
 */

/** Whom a call is for: the budget scopes it is held against (the key itself is always one). */
export type ExternalCallScope = {
  runId: string;
  stepId: string;
  workflow?: string;
  agent?: string;
  tags: string[];
};

/** What a call was: the model, its usage as the provider reported it, and how it ended. */
export type ExternalCallFacts = {
  model: string;
  provider?: string;
  usage: {
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    cacheWriteTokens: number;
    reasoningTokens: number;
  };
  latencyMs?: number;
  status: "ok" | "error";
  error?: string;
};

/** Priced by wflo's price book (overrides, else the catalogue), exactly as in-workflow calls are. */
function priced(price: ResolvedPrice | null, c: ExternalCallFacts) {
  const costNano = price && c.status === "ok" ? costOf(c.usage, price.rates) : 0n;
  const record = {
    provider: c.provider ?? price?.provider ?? "unknown",
    model: c.model,
    usage: c.usage,
    priceVersionId: price?.priceVersionId ?? null,
    priceSource: price?.source ?? ("unpriced" as const),
    rates: price ? flatten(price.rates, c.usage.inputTokens) : null,
    latencyMs: c.latencyMs ?? null,
    status: c.status,
    error: c.error ?? null,
  };
  return { costNano, record };
}

/** Prices, reserves and settles in one step: a call over a budget is refused (402) and not recorded. */
export async function recordExternalCall(
  db: Database,
  key: ApiKeyPrincipal,
  call: ExternalCallScope & ExternalCallFacts,
) {
  await assertCallInScope(db, key, call);
  const price = (await getPriceBook(db)).resolve(call.model, call.provider);
  const { costNano, record } = priced(price, call);
  const r = await reserve(db, {
    runId: call.runId,
    stepId: call.stepId,
    workflow: call.workflow,
    agent: call.agent,
    apiKeyId: key.id,
    tags: call.tags,
    estimateNano: costNano,
    unpriced: price === null,
    model: call.model,
    provider: call.provider ?? null,
  });
  const s = await settle(db, r.id, costNano, record);
  return { callId: s.callId, costNano, priceSource: record.priceSource, outcome: s.outcome };
}

/** Holds a call's worst case on every budget that applies, before the caller pays a provider. */
export async function reserveExternalCall(
  db: Database,
  key: ApiKeyPrincipal,
  call: ExternalCallScope & {
    estimateNano: string | number;
    model?: string;
    provider?: string;
    idempotencyKey?: string;
    ttlMs?: number;
  },
) {
  await assertCallInScope(db, key, call);
  const unpriced = call.model ? (await getPriceBook(db)).resolve(call.model, call.provider) === null : false;
  return reserve(db, { ...call, apiKeyId: key.id, estimateNano: BigInt(call.estimateNano), unpriced });
}

/** Settles a reservation with the call's usage; a reservation already released is a CONFLICT. */
export async function settleExternalCall(
  db: Database,
  key: ApiKeyPrincipal,
  reservationId: string,
  facts: ExternalCallFacts,
) {
  await reservationInScope(db, key, reservationId);
  const price = (await getPriceBook(db)).resolve(facts.model, facts.provider);
  const { costNano, record } = priced(price, facts);
  const s = await settle(db, reservationId, costNano, record);
  if (s.outcome === "released")
    throw new DomainError("conflict", `reservation ${reservationId} was released; nothing to settle`, { field: "id" });
  return { callId: s.callId, costNano, priceSource: record.priceSource, outcome: s.outcome };
}
