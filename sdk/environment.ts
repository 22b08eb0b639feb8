import { embeddedEngineUrl, inngestApiBaseUrl, inngestMode } from "@/inngest/client";
import { closeDb } from "@/db/client";
import { prepareDatabase } from "@/db/connect";
import { WfloConnectionError } from "./errors";
import { closeHosts } from "./host";

/**
 * What a process using the SDK needs from a running wflo: the engine (events in, requests out
 * to the SDK's serve handler) and the control panel's database (the middleware records runs,
 * steps, LLM calls and checkpoints there; the SDK reads results and costs from it).
 *
 * - Inside the wflo app process both are already up (server/boot.ts).
 * - A standalone script on the same machine as `npm start` needs nothing more when it runs from
 *   the project folder: the embedded engine answers on 127.0.0.1:8288 (WFLO_ENGINE_PORT) and the
 *   embedded PostgreSQL under .wflo/ is found the way the panel finds it (WFLO_DATA_DIR,
 *   WFLO_PG_PORT). With an external database set DATABASE_URL to the panel's; with a real
 *   Inngest server set the same INNGEST_* variables the panel has.
 */
let ready: Promise<void> | undefined;

export function ensureWfloEnvironment(): Promise<void> {
  ready ??= check().catch((e: unknown) => {
    ready = undefined; // a later call (after `npm start` came up) tries again
    throw e;
  });
  return ready;
}

async function check(): Promise<void> {
  if (inngestMode() === "embedded") {
    const url = embeddedEngineUrl();
    let ok = false;
    let reason = "";
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      ok = res.ok;
      reason = `HTTP ${res.status}`;
    } catch (e) {
      reason = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    }
    if (!ok) {
      throw new WfloConnectionError(
        `no wflo engine answers at ${url} (${reason}): start the control panel (npm start), or set WFLO_ENGINE_PORT to its engine's port, or the INNGEST_* variables of the Inngest server it uses`,
      );
    }
  } else if (!inngestApiBaseUrl()) {
    throw new WfloConnectionError("no Inngest server configured");
  }
  // Set inside the app (boot) and when the script names the panel's database: used as it is.
  if (process.env.DATABASE_URL?.trim()) return;
  // Else the panel's own way to its embedded PostgreSQL (reused while the panel runs; its
  // migrations are already applied, so applying them again changes nothing).
  try {
    await prepareDatabase();
  } catch (e) {
    throw new WfloConnectionError(`cannot reach the control panel's database: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * For a script that is done with wflo: stops serving its workflows and closes its database
 * connection, so the process can exit. Runs still in progress go on on the engine and can be
 * attached to later by `executionId`. Not for the wflo app process (it owns that connection).
 */
export async function shutdown(): Promise<void> {
  await closeHosts();
  await closeDb();
  ready = undefined;
}
