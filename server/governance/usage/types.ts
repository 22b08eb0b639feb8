/**
 * Normalised token usage of one LLM call. Totals with subsets, whatever the provider's own
 * convention: inputTokens counts every prompt token (uncached + cache reads + cache writes),
 * outputTokens every generated token (visible + reasoning).
 */
export type Usage = {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
};

export type ExtractedUsage = Usage & {
  /** wflo's provider id: openai, anthropic, google, ... ; null when nothing tells. */
  provider: string | null;
  /** The model the provider says answered (lower-cased), else the hinted one; null when unknown. */
  model: string | null;
};

/** A response whose usage cannot be read, or reads as nonsense. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** No single call has ever come near this; a bigger count is a bug or an attack, not usage. */
export const MAX_TOKENS_PER_CALL = 100_000_000;

function count(field: keyof Usage, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new UsageError(`${field}: must be a non-negative integer (got ${String(v)})`);
  if (v > MAX_TOKENS_PER_CALL)
    throw new UsageError(`${field}: ${v} tokens is beyond any real call (limit ${MAX_TOKENS_PER_CALL})`);
  return v;
}

/** Checks counts and that subsets fit inside their totals. */
export function checkUsage<U extends Usage>(u: U): U {
  count("inputTokens", u.inputTokens);
  count("outputTokens", u.outputTokens);
  count("cachedInputTokens", u.cachedInputTokens);
  count("cacheWriteTokens", u.cacheWriteTokens);
  count("reasoningTokens", u.reasoningTokens);
  if (u.cachedInputTokens + u.cacheWriteTokens > u.inputTokens) {
    throw new UsageError(
      `cachedInputTokens + cacheWriteTokens (${u.cachedInputTokens} + ${u.cacheWriteTokens}) cannot exceed inputTokens (${u.inputTokens})`,
    );
  }
  if (u.reasoningTokens > u.outputTokens) {
    throw new UsageError(`reasoningTokens (${u.reasoningTokens}) cannot exceed outputTokens (${u.outputTokens})`);
  }
  return u;
}
