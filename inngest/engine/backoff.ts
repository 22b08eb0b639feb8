/**
 * Inngest's retry schedule (pkg/backoff TableBackoff): the n-th retry waits table[n] plus up
 * to 30 s of jitter, clamped to the last entry. Tests pass their own `backoff` to shorten it.
 */
const TABLE_MS = [15, 30, 60, 120, 300, 600, 1_200, 2_400, 3_600, 7_200].map((s) => s * 1_000);
const JITTER_MS = 30_000;

export type Backoff = (attempt: number) => number;

/** `attempt` is the 0-based attempt that just failed. */
export const inngestBackoff: Backoff = (attempt) => {
  const base = TABLE_MS[Math.min(Math.max(attempt, 0), TABLE_MS.length - 1)] ?? 15_000;
  return base + Math.floor(Math.random() * JITTER_MS);
};

const MIN_RETRY_AFTER_MS = 0;
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** The SDK's `retry-after` header: whole seconds, or an ISO date (RetryAfterError with a Date). */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (!header) return null;
  const value = header.trim();
  let delay: number;
  if (/^\d+(\.\d+)?$/.test(value)) delay = Number(value) * 1_000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return null;
    delay = at - now;
  }
  return Math.min(Math.max(delay, MIN_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS);
}
