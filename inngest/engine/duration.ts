/**
 * Inngest time strings ("30s", "1h30m", "2d", "1w") and ISO dates, as the SDK emits them in
 * Sleep op names, waitForEvent/invoke timeouts and flow-control periods.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDurationMs(input: string | number): number | null {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : null;
  const s = input.trim();
  // The SDK renders a zero sleep as "".
  if (s === "") return 0;
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 0);
    consumed = re.lastIndex;
  }
  return consumed === s.length && consumed > 0 ? total : null;
}

/** A Sleep op's name: a duration relative to `now`, or an absolute ISO date (sleepUntil). */
export function resolveWakeTime(name: string, now: number): number | null {
  const ms = parseDurationMs(name);
  if (ms !== null) return now + ms;
  const at = Date.parse(name);
  return Number.isNaN(at) ? null : at;
}
