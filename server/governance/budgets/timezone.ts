import { env } from "@/server/env";
/**
 * The zone calendar budget periods (hour/day/week/month) follow: WFLO_BUDGET_TIMEZONE, default UTC.
 * An unknown zone throws naming the variable (server/env.ts checks it is a zone Intl knows).
 */
export function budgetTimeZone(): string {
  return env.WFLO_BUDGET_TIMEZONE;
}
