import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { engineEvents, eventKeys, type Run } from "@/db/schema";
import type { EnvelopedEvent, WfloEnvelope } from "./envelope";

/** How the app's own client's key (engine_events.event_key_id null) is named on a run. */
export const INTERNAL_EVENT_KEY_NAME = "wflo internal";

/** The cron tick's event name on every Inngest server. */
const SCHEDULED_EVENT = "inngest/scheduled.timer";

export type Attribution = Pick<
  Run,
  "triggeredById" | "triggeredByEmail" | "triggeredByKind" | "triggeredByEventKeyId" | "triggeredByEventKey"
>;

/**
 * Who a run is held to. A person (or API key) only from an envelope wflo signed
 * (server/runs/envelope.ts `readEnvelope`); otherwise the sender the engine recorded for the
 * event's public id: an outside event key, or the app's internal key (NULL key id). An event the
 * engine never stored (a real Inngest server's) can be traced to no key: "unsigned".
 */
export async function attributionOf(db: DbOrTx, event: EnvelopedEvent, envelope: WfloEnvelope): Promise<Attribution> {
  const none = { triggeredById: null, triggeredByEmail: null, triggeredByEventKeyId: null, triggeredByEventKey: null };
  if (envelope.triggeredBy)
    return {
      ...none,
      triggeredById: envelope.triggeredBy.id,
      triggeredByEmail: envelope.triggeredBy.email,
      triggeredByKind: "user",
    };
  if (event.name === SCHEDULED_EVENT) return { ...none, triggeredByKind: "schedule" };
  if (!event.id) return { ...none, triggeredByKind: "unsigned" };
  const [sent] = await db
    .select({ keyId: engineEvents.eventKeyId, name: eventKeys.name })
    .from(engineEvents)
    .leftJoin(eventKeys, eq(eventKeys.id, engineEvents.eventKeyId))
    .where(eq(engineEvents.id, event.id))
    .limit(1);
  if (!sent) return { ...none, triggeredByKind: "unsigned" };
  return {
    ...none,
    triggeredByKind: "event_key",
    triggeredByEventKeyId: sent.keyId,
    triggeredByEventKey: sent.keyId ? (sent.name ?? sent.keyId) : INTERNAL_EVENT_KEY_NAME,
  };
}

/**
 * How a run's trigger reads in the panel, the API and the CLI ("triggered by …"): one formatter,
 * so a key or an unsigned event is never shown as if it were a person. Null for runs recorded
 * before attribution had a kind and no person (shown as "an event").
 */
export function triggerLabel(
  run: Pick<Run, "triggeredByKind" | "triggeredByEmail" | "triggeredByEventKey">,
): string | null {
  switch (run.triggeredByKind) {
    case "event_key":
      return `event key ${run.triggeredByEventKey ?? INTERNAL_EVENT_KEY_NAME}`;
    case "schedule":
      return "a schedule";
    case "unsigned":
      return "an unsigned event";
    default:
      return run.triggeredByEmail;
  }
}
