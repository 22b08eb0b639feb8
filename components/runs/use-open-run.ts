"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";

const GIVE_UP_MS = 20_000;

/**
 * Sending an event gives an event id, not a run id: the server creates the run when it picks the
 * event up. This waits for the run to appear (the middleware records it on its first step) and
 * opens it.
 */
export function useOpenRunForEvent() {
  const trpc = useTRPC();
  const router = useRouter();
  const [eventId, setEventId] = useState<string | null>(null);
  const [since, setSince] = useState(0);
  const [gaveUp, setGaveUp] = useState(false);
  const found = useQuery({
    ...trpc.runs.byEvent.queryOptions({ eventId: eventId ?? "-" }),
    enabled: Boolean(eventId) && !gaveUp,
    refetchInterval: 500,
    staleTime: 0,
  });
  const runId = found.data?.[0]?.id;

  useEffect(() => {
    if (runId) router.push(`/runs/${runId}`);
  }, [runId, router]);
  useEffect(() => {
    if (!eventId || runId) return;
    const t = setTimeout(() => setGaveUp(true), Math.max(0, since + GIVE_UP_MS - Date.now()));
    return () => clearTimeout(t);
  }, [eventId, runId, since]);

  return {
    open(id: string) {
      setGaveUp(false);
      setSince(Date.now());
      setEventId(id);
    },
    waiting: Boolean(eventId) && !runId && !gaveUp,
    message: gaveUp
      ? `The event was accepted (id ${eventId}) but no run has started after ${GIVE_UP_MS / 1000} s. Is the workflow engine running? The run appears under Runs once it starts.`
      : null,
  };
}
