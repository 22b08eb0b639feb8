import { env } from "@/server/env";
/**
 * Per-API-key token bucket for OTLP ingest, in spans per second. In-process: each wflo server
 * enforces its own share, which is what protects its database connection pool; a fleet behind a
 * load balancer multiplies the limit by its size (documented in docs/observability.md).
 */
export type RateLimiter = {
  take(key: string, spans: number, now?: number): { ok: true } | { ok: false; retryAfterS: number };
};

export function createRateLimiter(spansPerSecond: number, burstSeconds = 2): RateLimiter {
  const capacity = spansPerSecond * burstSeconds;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, spans, now = Date.now()) {
      const b = buckets.get(key) ?? { tokens: capacity, at: now };
      b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * spansPerSecond);
      b.at = now;
      buckets.set(key, b);
      // A batch larger than the whole bucket could never pass: refuse it with the time a full bucket takes.
      if (spans > b.tokens)
        return {
          ok: false,
          retryAfterS: Math.max(1, Math.ceil((Math.min(spans, capacity) - b.tokens) / spansPerSecond)),
        };
      b.tokens -= spans;
      return { ok: true };
    },
  };
}

/** `WFLO_OTLP_RATE_LIMIT`: spans per second per API key (default 20,000). */
export function ingestLimiter(): RateLimiter {
  const g = globalThis as { __wfloOtlpLimiter?: RateLimiter };
  g.__wfloOtlpLimiter ??= createRateLimiter(env.WFLO_OTLP_RATE_LIMIT);
  return g.__wfloOtlpLimiter;
}
