import { randomUUID } from "node:crypto";
import { DomainError } from "@/server/errors";
import { events } from "@/server/events/client";
import { inngestApiBaseUrl, inngestApiHeaders, inngestMode } from "@/server/events/connection";
import { log } from "@/server/log";
import { signEvent } from "./envelope";

/**
 * The two things wflo asks of whichever Inngest server runs its workflows: start a run (send
 * its event) and cancel one (REST `DELETE /v1/runs/:id`, which the embedded engine serves too).
 * Failures become 502s that say what failed, never the transport's own message.
 */

/**
 * Sends a workflow event with an id wflo chose, signing its `_wflo` envelope (if any) for that id,
 * name and data (server/runs/envelope.ts): the id is what makes a captured signed event useless
 * elsewhere, and an exact replay of it a duplicate the server drops. Returns the event id, which
 * is also what the run records (`ctx.event.id`), on any Inngest server.
 */
export async function sendEvent(name: string, data: Record<string, unknown>): Promise<string> {
  let event: { id: string; name: string; data: Record<string, unknown> };
  try {
    event = signEvent({ id: randomUUID(), name, data });
  } catch (err) {
    // No envelope key (a misconfiguration the error names) or an envelope wflo itself built wrong.
    log.error({ err, event: name }, "signing a workflow event's envelope failed");
    throw new DomainError(
      "internal",
      `could not sign the envelope of the event ${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let ids: string[];
  try {
    ({ ids } = await events.send(event));
  } catch (err) {
    log.error({ err, event: name, mode: inngestMode() }, "sending a workflow event failed");
    throw new DomainError(
      "bad_gateway",
      `the Inngest server (${inngestMode()}) did not accept the event ${name}; is it running?`,
    );
  }
  if (!ids[0]) throw new DomainError("bad_gateway", `the Inngest server returned no event id for ${name}`);
  return event.id;
}

export async function cancelRemoteRun(runId: string): Promise<void> {
  const headers = inngestApiHeaders();
  let res: Response;
  try {
    res = await fetch(`${inngestApiBaseUrl()}/v1/runs/${encodeURIComponent(runId)}`, {
      method: "DELETE",
      headers,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    log.error({ err, runId, mode: inngestMode() }, "cancel request failed");
    throw new DomainError(
      "bad_gateway",
      `could not reach the Inngest server (${inngestMode()}) to cancel run ${runId}`,
    );
  }
  if (res.status === 404) throw new DomainError("not_found", `the Inngest server does not know run ${runId}`);
  if (!res.ok) {
    log.warn({ runId, status: res.status, body: (await res.text()).slice(0, 500) }, "cancel refused");
    throw new DomainError("bad_gateway", `the Inngest server refused to cancel run ${runId} (HTTP ${res.status})`);
  }
}
