import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest, type InngestFunction } from "inngest";
import { serve } from "inngest/node";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine, type EngineOptions } from "../index";
import { hashSigningKey } from "@/server/security/signing";
import { deriveEventKey, engineClientOptions, engineSigningKey } from "@/server/security/signing-key";
import type { EngineRunView } from "../reads";
import { postToIntake, type IntakeReply } from "./intake";

/**
 * Conformance-test harness: a fresh database, the engine on an ephemeral port, and a real
 * Inngest SDK app (inngest/node `serve`) on another ephemeral port, synced to the engine.
 */
export type Harness = {
  fresh: FreshDb;
  engine: Engine;
  client: Inngest;
  /** Headers for the engine's REST API: the bearer derived from the engine's signing key (none when unsigned). */
  auth: Record<string, string>;
  /** The app's internal event key (derived from the signing key), as the harness's client sends with. */
  eventKey: string;
  /**
   * POSTs `body` (a string is sent as is, anything else as JSON) to the engine's intake, as an
   * outside sender would: with the internal key unless `key` says otherwise (null = no key in
   * the path), as application/json unless `contentType` says otherwise (null = no header).
   */
  postEvents(body: unknown, opts?: Parameters<typeof postToIntake>[2]): Promise<IntakeReply>;
  appUrl: string;
  serveFunctions(functions: InngestFunction.Any[]): Promise<void>;
  /** POSTs the SDK app received, per fnId query parameter. */
  callsTo(functionId: string): number;
  waitForRun(
    pred: (r: { id: string; functionId: string; status: string }) => boolean,
    timeoutMs?: number,
  ): Promise<EngineRunView>;
  waitForEnd(runId: string, timeoutMs?: number): Promise<EngineRunView>;
  runsOf(functionId: string): Promise<EngineRunView[]>;
  close(): Promise<void>;
};

export const APP_ID = "test-app";
/** The internal event key of an engine a test runs unsigned (signingKey: null). */
export const UNSIGNED_EVENT_KEY = "wflo-ek-internal-unsigned-test";
export const fnId = (id: string) => `${APP_ID}-${id}`;

export async function startHarness(opts: Partial<Omit<EngineOptions, "db">> = {}): Promise<Harness> {
  const fresh = await freshDatabase();
  // An unsigned engine has no key to derive its internal event key from: give it a fixed one.
  const unsigned = opts.signingKey === null && opts.eventKey === undefined ? { eventKey: UNSIGNED_EVENT_KEY } : {};
  const engine = createEngine({
    db: fresh.db,
    port: 0,
    backoff: () => 20,
    pollIntervalMs: 20,
    leaseMs: 3_000,
    ...unsigned,
    ...opts,
  });
  await engine.start();
  // The SDK logs every step error it reports; tests assert on outcomes instead.
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  // The engine's own key unless a test runs it unsigned (signingKey: null) or with another key.
  const key = opts.signingKey === null ? undefined : (opts.signingKey ?? engineSigningKey());
  const auth: Record<string, string> = key ? { authorization: `Bearer ${hashSigningKey(key)}` } : {};
  const eventKey = key ? deriveEventKey(key) : UNSIGNED_EVENT_KEY;
  const keyed =
    opts.signingKey === null
      ? { isDev: true as const, baseUrl: engine.url, eventKey }
      : { ...engineClientOptions(engine.url), ...(key ? { signingKey: key, eventKey } : {}) };
  const client = new Inngest({ id: APP_ID, ...keyed, logger: quiet });
  let server: Server | null = null;
  let appUrl = "";
  const calls = new Map<string, number>();

  const harness: Harness = {
    fresh,
    engine,
    client,
    auth,
    eventKey,
    postEvents: (body, o = {}) => postToIntake(engine.url, body, { key: eventKey, ...o }),
    get appUrl() {
      return appUrl;
    },
    callsTo(functionId) {
      return calls.get(functionId) ?? 0;
    },
    async serveFunctions(functions) {
      if (server) await closeServer(server);
      const handler = serve({ client, functions });
      const s = createServer((req, res) => {
        if (req.method === "POST") {
          const id = new URL(req.url ?? "/", "http://x").searchParams.get("fnId") ?? "";
          calls.set(id, (calls.get(id) ?? 0) + 1);
        }
        return handler(req, res);
      });
      server = s;
      await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
      appUrl = `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/inngest`;
      await engine.syncApp(appUrl);
    },
    async waitForRun(pred, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const runs = await engine.listRuns({ limit: 500 });
        const hit = runs.find((r) => pred(r) && r.status !== "running");
        if (hit) return (await engine.getRun(hit.id)) as EngineRunView;
        if (Date.now() > until)
          throw new Error(
            `no finished run matched within ${timeoutMs} ms; runs: ${JSON.stringify(runs.map((r) => [r.functionId, r.status]))}`,
          );
        await sleep(25);
      }
    },
    async waitForEnd(runId, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const run = await engine.getRun(runId);
        if (run && run.status !== "running") return run;
        if (Date.now() > until)
          throw new Error(`run ${runId} did not end within ${timeoutMs} ms (status ${run?.status})`);
        await sleep(25);
      }
    },
    async runsOf(functionId) {
      const runs = await engine.listRuns({ functionId, limit: 500 });
      const views = await Promise.all(runs.map((r) => engine.getRun(r.id)));
      return views.filter((v): v is EngineRunView => v !== null).reverse();
    },
    async close() {
      await engine.stop();
      if (server) await closeServer(server);
      await fresh.drop();
    },
  };
  return harness;
}

function closeServer(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
