import type { Database } from "@/db/client";
import { llmCallPayloads } from "@/db/schema";
import { log } from "@/server/log";
import { capValue } from "./redact";
import { env } from "@/server/env";

/** Per-side cap for a captured prompt or response: a long prompt is useful; a 10 MB one is not. */
const PAYLOAD_CAP_BYTES = env.WFLO_TRACE_PAYLOAD_CAP_BYTES;

/**
 * Stores what a governed LLM call sent and got back, redacted and size-capped, for the trace
 * explorer. Best-effort by design: the call is already paid for and settled, so a failure here is
 * logged and never fails the workflow's step.
 */
export async function captureLlmPayload(
  db: Database,
  callId: number | null,
  runId: string,
  request: unknown,
  response: unknown,
): Promise<void> {
  if (callId === null) return;
  try {
    await db
      .insert(llmCallPayloads)
      .values({
        callId,
        runId,
        request: capValue(request, PAYLOAD_CAP_BYTES),
        response: capValue(response, PAYLOAD_CAP_BYTES),
      })
      .onConflictDoNothing();
  } catch (err) {
    log.warn({ err, callId, runId }, "could not store the LLM call's prompt for its trace");
  }
}
