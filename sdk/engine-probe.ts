/** What the embedded engine itself knows about a run or an event, for when this process has not seen it (yet). */

import { embeddedEngineUrl, inngestApiHeaders, inngestMode } from "@/server/events/connection";

/** The embedded engine's own end of a run, when it ended it (failed or cancelled); undefined while it runs or elsewhere. */
export async function engineEnd(
  runId: string,
): Promise<
  { status: "failed" | "cancelled"; error: { name: string; message: string } | null; seen: number } | undefined
> {
  if (inngestMode() !== "embedded") return undefined;
  try {
    const res = await fetch(`${embeddedEngineUrl()}/v1/runs/${encodeURIComponent(runId)}`, {
      headers: inngestApiHeaders(),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as {
      data?: { status?: string; error?: { name?: string; message?: string } | null };
    };
    const status = body.data?.status;
    if (status !== "failed" && status !== "cancelled") return undefined;
    const err = body.data?.error;
    return { status, error: err ? { name: err.name ?? "Error", message: err.message ?? "" } : null, seen: Date.now() };
  } catch {
    return undefined;
  }
}

/** How many runs the embedded engine started for an event; undefined when it cannot tell (another server, unreachable). */
export async function engineRunsFor(eventId: string): Promise<number | undefined> {
  if (inngestMode() !== "embedded") return undefined;
  try {
    const res = await fetch(`${embeddedEngineUrl()}/v1/events/${encodeURIComponent(eventId)}/runs`, {
      headers: inngestApiHeaders(),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: unknown[] };
    return Array.isArray(body.data) ? body.data.length : undefined;
  } catch {
    return undefined;
  }
}
