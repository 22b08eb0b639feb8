import { Cron } from "croner";
import { stripTz } from "./registry";

/**
 * Cron triggers. Five fields as in Inngest; a sixth (seconds, croner's extension) is accepted
 * so tests and short schedules don't wait a minute. "TZ=Zone " prefixes are honoured.
 */
export function nextCronTime(cron: string, after: Date): Date | null {
  const { pattern, timezone } = stripTz(cron);
  try {
    return new Cron(pattern, { paused: true, ...(timezone ? { timezone } : {}) }).nextRun(after);
  } catch {
    return null;
  }
}
