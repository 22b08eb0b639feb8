import { existsSync } from "node:fs";
import path from "node:path";
import { embeddedEngineUrl, inngestApiBaseUrl, inngestMode } from "@/server/events/connection";
import { closeDb } from "@/db/client";
import { prepareDatabase } from "@/db/connect";
import { WfloConnectionError } from "./errors";
import { closeHosts } from "./host";
import { env } from "@/server/env";

/**
 * What a process using the SDK needs from a running wflo: the engine (events in, requests out
 * to the SDK's serve handler) and the control panel's database (the middleware records runs,
 * steps, LLM calls and checkpoints there; the SDK reads results and costs from it).
 *
 * - Inside the wflo app process both are already up (server/boot.ts).
 * - A standalone script on the same machine as `npm start`: the embedded engine answers on
 *   127.0.0.1:8288 (WFLO_ENGINE_PORT). The database is DATABASE_URL when set (the panel's), else
 *   the panel's embedded PostgreSQL in WFLO_DATA_DIR (the panel's .wflo folder; default ./.wflo,
 *   which only exists when the script runs from the wflo checkout) on WFLO_PG_PORT. With a real
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
  if (env.DATABASE_URL) return;
  // Else the panel's own way to its embedded PostgreSQL (reused while the panel runs; its
  // migrations are already applied, so applying them again changes nothing). Only an existing
  // cluster: from another project there is no .wflo/ in the cwd, and starting a fresh, empty
  // database there would record the runs where the panel never sees them.
  const dataDir = path.resolve(env.WFLO_DATA_DIR);
  if (!existsSync(path.join(dataDir, "pg", "data", "PG_VERSION"))) {
    throw new WfloConnectionError(
      `cannot find the control panel's database: DATABASE_URL is not set and there is no embedded PostgreSQL in ${dataDir}` +
        `${process.env.WFLO_DATA_DIR?.trim() ? " (WFLO_DATA_DIR)" : ""}: set DATABASE_URL to the panel's database, or WFLO_DATA_DIR to the panel's .wflo folder (in the wflo checkout)`,
    );
  }
  try {
    await prepareDatabase();
  } catch (e) {
    throw new WfloConnectionError(
      `cannot reach the control panel's database: ${e instanceof Error ? e.message : String(e)}`,
    );
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
