/**
 * Exact USD for people: money arrives as bigint nano-dollars (superjson keeps bigint), so
 * nothing here sums floats. Mirrors server/governance/money.ts, which components may not import.
 */
const NANO = 1_000_000_000n;

/** 12_345_000n -> "$0.012345" (at least 2 decimals, at most 9, no trailing zeros beyond 2). */
export function usd(nano: bigint, minDecimals = 2): string {
  const neg = nano < 0n;
  const abs = neg ? -nano : nano;
  const whole = (abs / NANO).toLocaleString("en-US");
  let frac = (abs % NANO).toString().padStart(9, "0").replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${neg ? "-" : ""}$${whole}${frac ? `.${frac}` : ""}`;
}

/** A nano-dollar amount given as a decimal string (notification details). */
export function usdOfString(nano: unknown): string {
  return typeof nano === "string" && /^-?\d+$/.test(nano) ? usd(BigInt(nano)) : "—";
}

/** Share of a limit as a percentage for bars, computed in integers (basis points). */
export function percentOf(spent: bigint, limit: bigint): number {
  if (limit <= 0n) return spent > 0n ? 100 : 0;
  return Number((spent * 10_000n) / limit) / 100;
}

/** Charts only: never sum these. */
export function toNumberUsd(nano: bigint): number {
  return Number(nano) / 1e9;
}
