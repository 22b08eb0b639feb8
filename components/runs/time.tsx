"use client";

import { useEffect, useState, useSyncExternalStore } from "react";
import { formatTime } from "./format";

/**
 * Times for server-rendered tables. The server renders in its own time zone and clock, the
 * browser in the viewer's; anything drawn from either must wait until after hydration, or
 * React finds the HTML does not match and throws the server's render away.
 */

const noSubscription = () => () => {};

/** False during the server render and hydration, true after. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

/** The current time, ticking each second while `active`; null until hydrated. */
export function useNow(active: boolean): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

/** A moment in the viewer's locale and zone; the machine-readable instant is always in the HTML. */
export function LocalTime({ date, prefix = "" }: { date: Date; prefix?: string }) {
  const hydrated = useHydrated();
  const iso = date.toISOString();
  return (
    <time dateTime={iso} title={hydrated ? undefined : iso}>
      {hydrated ? `${prefix}${formatTime(date)}` : ""}
    </time>
  );
}
