import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { log } from "@/server/log";
import type { Database } from "@/db/client";
import { inngestBackoff, type Backoff } from "./backoff";
import type { EngineCore } from "./core";
import type { Sql } from "./db";
import { createHttpApi } from "./http-api";
import { ingestEvents, validateEvents, type IncomingEvent } from "./intake";
import { FunctionRegistry, type FunctionRecord } from "./registry";
import { cancelRun, getRun, listRuns, type EngineRunSummary, type EngineRunView } from "./reads";
import { deriveEventKey, engineSigningKey } from "@/server/security/signing-key";
import { syncApp, type SyncResult } from "./sync";
import { Worker } from "./worker";
import { env } from "@/server/env";

/**
 * wflo's embedded durable engine: plays the Inngest server's part of the protocol, backed by
 * the app's PostgreSQL, so the real Inngest SDK runs functions with zero infrastructure.
 */
export type EngineOptions = {
  db: Database;
  /** Default 8288 (WFLO_ENGINE_PORT); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (WFLO_ENGINE_HOST). */
  host?: string;
  /**
   * Requests to SDKs are signed with it and REST calls need its bearer hash. Default: the
   * embedded key (server/security/signing-key.ts: WFLO_ENGINE_SIGNING_KEY or the data dir's key file), which
   * the app's and the SDK's clients use too; null = unsigned and open (tests of that only).
   */
  signingKey?: string | null;
  /**
   * The app's own key for the event intake (`POST /e/:key`), the only one that may send wflo's
   * reserved names. Default: derived from the signing key (server/security/signing-key.ts `deriveEventKey`), as
   * the app's and the SDK's clients derive it; with no signing key and none given, the intake
   * accepts only admin-made event keys.
   */
  eventKey?: string;
  /** Serve URLs to sync on start. */
  apps?: string[];
  /** Retry delay after the 0-based attempt that failed; defaults to Inngest's schedule. */
  backoff?: Backoff;
  /** How often to look for due timers when not woken by NOTIFY. */
  pollIntervalMs?: number;
  /** How long a claim lasts without a heartbeat; a crashed worker's work is re-claimed after it. */
  leaseMs?: number;
  /** Per call request to an SDK. */
  requestTimeoutMs?: number;
  /** Queue items one process runs at once. */
  maxInFlight?: number;
  /** false = serve the API only (another process runs the queue). */
  worker?: boolean;
};

export type SendableEvent = {
  name: string;
  data?: Record<string, unknown>;
  id?: string;
  ts?: number;
  user?: Record<string, unknown>;
  v?: string;
};

export type Engine = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Base URL of the engine's HTTP API (INNGEST_DEV / INNGEST_BASE_URL for SDKs). */
  readonly url: string;
  sendEvent(events: SendableEvent | SendableEvent[]): Promise<{ ids: string[] }>;
  cancelRun(runId: string, reason?: string): Promise<boolean>;
  syncApp(url: string): Promise<SyncResult>;
  listFunctions(): Promise<FunctionRecord[]>;
  getRun(runId: string): Promise<EngineRunView | null>;
  listRuns(opts?: { functionId?: string; status?: string; limit?: number }): Promise<EngineRunSummary[]>;
};

export class InvalidEventError extends Error {
  constructor(readonly reasons: string[]) {
    super(`invalid event payload: ${reasons.join("; ")}`);
  }
}

export function createEngine(opts: EngineOptions): Engine {
  const sql = opts.db.$client as Sql;
  const port = opts.port ?? env.WFLO_ENGINE_PORT;
  const host = opts.host ?? env.WFLO_ENGINE_HOST;
  const registry = new FunctionRegistry();
  let worker: Worker | null = null;
  const signingKey = opts.signingKey === null ? undefined : (opts.signingKey ?? engineSigningKey());
  const core: EngineCore = {
    sql,
    registry,
    signingKey,
    internalEventKey: opts.eventKey ?? (signingKey ? deriveEventKey(signingKey) : undefined),
    backoff: opts.backoff ?? inngestBackoff,
    leaseMs: opts.leaseMs ?? 30_000,
    requestTimeoutMs: opts.requestTimeoutMs ?? 300_000,
    wake: () => worker?.wake(),
  };
  let server: Server | null = null;
  let url = `http://${host}:${port}`;

  return {
    get url() {
      return url;
    },
    async start() {
      if (server) return;
      const s = createHttpApi(core);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, host, () => resolve());
      });
      const addr = s.address() as AddressInfo;
      url = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
      if (opts.worker !== false) {
        worker = new Worker(core, { pollIntervalMs: opts.pollIntervalMs ?? 250, maxInFlight: opts.maxInFlight ?? 32 });
        await worker.start();
      }
      for (const app of opts.apps ?? []) {
        await syncApp(core, app).catch((e: unknown) => log.error({ err: e, app }, "engine: app sync failed"));
      }
      log.info({ url }, "engine: listening");
    },
    async stop() {
      const s = server;
      server = null;
      await worker?.stop();
      worker = null;
      if (s) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
    async sendEvent(events) {
      const checked = validateEvents(events);
      if (!checked.ok) throw new InvalidEventError(checked.errors);
      const list: IncomingEvent[] = checked.events;
      const ids = await sql.begin((tx) => ingestEvents(tx, core, list));
      core.wake();
      return { ids };
    },
    cancelRun: (runId, reason = "cancelled") => cancelRun(core, runId, reason),
    syncApp: (appUrl) => syncApp(core, appUrl),
    listFunctions: () => registry.all(sql),
    getRun: (runId) => getRun(sql, runId),
    listRuns: (o) => listRuns(sql, o),
  };
}

export { inngestBackoff } from "./backoff";
export type { SyncResult } from "./sync";
export type { EngineRunView, EngineRunSummary } from "./reads";
export type { FunctionRecord } from "./registry";
