import { TOKENS_PER_MTOK } from "@/server/governance/money";
import type { Usage } from "@/server/governance/usage/types";

/** A price in nano-dollars per million tokens; tiered by the call's total input tokens. */
export type Rate = bigint | { base: bigint; tiers: readonly { start: number; price: bigint }[] };

/** What a model costs. Null rates fall back: cached input and cache writes to input, reasoning to output. */
export type Rates = {
  input: Rate;
  output: Rate;
  cachedInput: Rate | null;
  cacheWrite: Rate | null;
  reasoning: Rate | null;
  perRequest: bigint;
};

/** Flat rates actually charged for one call (tiers resolved), as stored on llm_calls. */
export type FlatRates = {
  input: bigint;
  output: bigint;
  cachedInput: bigint;
  cacheWrite: bigint;
  reasoning: bigint;
  perRequest: bigint;
};

function at(rate: Rate, inputTokens: number): bigint {
  if (typeof rate === "bigint") return rate;
  let price = rate.base;
  // Same rule as the catalogue: a tier applies once total input tokens pass its start.
  for (const t of rate.tiers) if (inputTokens > t.start) price = t.price;
  return price;
}

export function flatten(rates: Rates, inputTokens: number): FlatRates {
  const input = at(rates.input, inputTokens);
  const output = at(rates.output, inputTokens);
  return {
    input,
    output,
    cachedInput: rates.cachedInput === null ? input : at(rates.cachedInput, inputTokens),
    cacheWrite: rates.cacheWrite === null ? input : at(rates.cacheWrite, inputTokens),
    reasoning: rates.reasoning === null ? output : at(rates.reasoning, inputTokens),
    perRequest: rates.perRequest,
  };
}

/**
 * Exact cost of a call in nano-dollars, rounded up to the next nano-dollar (a budget never
 * under-counts). Usage counts are totals with subsets: inputTokens includes cached and
 * cache-write tokens; outputTokens includes reasoning tokens.
 */
export function costFromFlat(u: Usage, r: FlatRates): bigint {
  const uncached = BigInt(u.inputTokens - u.cachedInputTokens - u.cacheWriteTokens);
  const visibleOut = BigInt(u.outputTokens - u.reasoningTokens);
  const perMtok =
    uncached * r.input +
    BigInt(u.cachedInputTokens) * r.cachedInput +
    BigInt(u.cacheWriteTokens) * r.cacheWrite +
    visibleOut * r.output +
    BigInt(u.reasoningTokens) * r.reasoning;
  return (perMtok + TOKENS_PER_MTOK - 1n) / TOKENS_PER_MTOK + r.perRequest;
}

export function costOf(u: Usage, rates: Rates): bigint {
  return costFromFlat(u, flatten(rates, u.inputTokens));
}

export function flatRatesJson(r: FlatRates) {
  return {
    input: r.input.toString(),
    output: r.output.toString(),
    cachedInput: r.cachedInput.toString(),
    cacheWrite: r.cacheWrite.toString(),
    reasoning: r.reasoning.toString(),
    perRequest: r.perRequest.toString(),
  };
}
