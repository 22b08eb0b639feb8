/** The zone calendar budget periods (hour/day/week/month) follow: WFLO_BUDGET_TIMEZONE, default UTC. */
export function budgetTimeZone(): string {
  const tz = process.env.WFLO_BUDGET_TIMEZONE?.trim() || "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new Error(`WFLO_BUDGET_TIMEZONE: unknown time zone ${JSON.stringify(tz)} (use an IANA name such as UTC or Europe/Berlin)`);
  }
  return tz;
}
