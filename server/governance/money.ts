/**
 * Money is integer nano-dollars (1e-9 USD) as bigint, end to end. Prices are nano-dollars
 * per million tokens, so every catalogue price (quoted to at most 9 decimals of a dollar
 * per Mtok) is an exact integer. Floats appear only when formatting for people.
 */
export const NANO_PER_USD = 1_000_000_000n;
export const TOKENS_PER_MTOK = 1_000_000n;

const DECIMAL = /^(\d+)(?:\.(\d{1,9}))?$/;

const notDecimal = (field: string, value: string | number) =>
  new RangeError(
    `${field}: must be a decimal amount of US dollars with at most 9 decimals (got ${JSON.stringify(String(value))})`,
  );

/**
 * Exact USD decimal ("0.0375", 2.5) -> nano-dollars. Throws with the field name on anything
 * else, including a number with more than 9 decimals: rounding 0.0000000001 to 0 silently made a
 * $0 budget that blocked every call, so only binary noise (0.1 + 0.2) is rounded away.
 */
export function usdToNano(value: string | number, field = "amount"): bigint {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`${field}: must be a finite number`);
    if (value < 0) throw new RangeError(`${field}: must not be negative`);
    // toFixed(9) rounds at the nano-dollar, our unit. What it drops must be float noise (a few
    // ulps), not a real tenth decimal: otherwise the amount was not a whole number of nano-dollars.
    text = value.toFixed(9);
    if (Math.abs(Number(text) - value) > Number.EPSILON * 8 * Math.max(1, value)) throw notDecimal(field, value);
  } else {
    text = value.trim();
    if (text.startsWith("-")) throw new RangeError(`${field}: must not be negative`);
  }
  const m = DECIMAL.exec(text);
  if (!m) throw notDecimal(field, value);
  return BigInt(m[1]!) * NANO_PER_USD + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/**
 * Nano-dollars of a number from a third-party price catalogue, rounded to the nearest
 * nano-dollar (a few catalogue prices are thirds of a cent per Mtok). Never for what people
 * type: that must be exact (usdToNano).
 */
export function roundUsdToNano(value: number, field = "amount"): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`${field}: must be a finite number`);
  if (value < 0) throw new RangeError(`${field}: must not be negative`);
  return usdToNano(value.toFixed(9), field);
}

/**
 * A limit: an exact amount of at least one nano-dollar. A zero limit is never what anyone
 * means (it refuses every call); "no limit" is leaving the field empty or the budget off.
 */
export function usdLimitToNano(value: string | number, field = "limit"): bigint {
  const nano = usdToNano(value, field);
  if (nano === 0n) throw new RangeError(`${field}: must be more than 0 (at least 0.000000001, one nano-dollar)`);
  return nano;
}

/** Nano-dollars -> "$0.012345" (as many decimals as needed, at least 2; at most 9). */
export function formatUsd(nano: bigint, minDecimals = 2): string {
  const neg = nano < 0n;
  const abs = neg ? -nano : nano;
  const whole = abs / NANO_PER_USD;
  let frac = (abs % NANO_PER_USD).toString().padStart(9, "0").replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${neg ? "-" : ""}$${whole.toString()}${frac ? `.${frac}` : ""}`;
}

/** Nano-dollars -> plain decimal string of dollars ("0.012345"), exact. */
export function nanoToUsdString(nano: bigint): string {
  return formatUsd(nano, 0).replace("$", "") || "0";
}

/** For charts and display only: never sum these. */
export function nanoToUsdNumber(nano: bigint): number {
  return Number(nano) / 1e9;
}
