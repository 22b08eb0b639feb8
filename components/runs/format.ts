import type { RunStatus } from "@/db/schema/runs";

export const ACTIVE_STATUSES: readonly RunStatus[] = ["queued", "running", "sleeping", "waiting"];
export const isActive = (s: RunStatus) => ACTIVE_STATUSES.includes(s);

/** "850 ms", "12.4 s", "3 m 05 s", "2 h 10 m". */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} m`;
}

/** Elapsed time of something that may still be going on; blank while the clock is unknown (server render). */
export function elapsed(start: Date, end: Date | null, now: number | null): string {
  const until = end ? end.getTime() : now;
  return until === null ? "" : formatDuration(until - start.getTime());
}

export function formatTime(d: Date): string {
  return d.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}
