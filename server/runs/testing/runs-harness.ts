import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { serve } from "inngest/node";
import { afterAll } from "vitest";
import { closeDb } from "@/db/client";
import { runs, users, type Run } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "@/inngest/engine";
import { inngest } from "@/inngest/client";
import { serveHandlerOptions } from "@/server/events/connection";
import { servedFunctions } from "@/inngest/registry";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { signEvent, withEnvelope, type WfloEnvelope } from "@/server/runs/envelope";

/**
 * The runs domain on real parts, for router tests: a fresh database, the embedded engine on
 * the port the Inngest client was pointed at (see `claimEnginePort`, which the test file calls
 * in `vi.hoisted`), and wflo's real serve handler synced to it. tRPC calls send real events;
 * the engine calls the SDK; the middleware records runs and steps.
 */
export type RunsHarness = {
  fresh: FreshDb;
  engine: Engine;
  /** wflo's serve handler (inngest/node `serve` with the app's client and the route's options), as the engine calls it. */
  appUrl: string;
  /** A stored user with this role, for `as`. */
  user(email: string, role: SessionUser["role"]): Promise<SessionUser>;
  as(user: SessionUser): ReturnType<typeof appRouter.createCaller>;
  /** Polls `probe` until it returns something truthy. */
  until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
  /** The run an event started, once the middleware has recorded it. */
  runFor(eventId: string): Promise<{ id: string; workflowId: string; status: string }>;
  /**
   * Sends `name` straight to the engine (no tRPC), with wflo's signed envelope: `by` as the user
   * who triggered it, `envelope` for the rest (a run budget, say). Returns the run's id once recorded.
   */
  start(
    name: string,
    opts?: { data?: Record<string, unknown>; by?: SessionUser; envelope?: WfloEnvelope },
  ): Promise<string>;
  /** The run's row once it completed, failed or was cancelled. */
  finished(runId: string, timeoutMs?: number): Promise<Run>;
  /** The run's status as wflo recorded it. */
  statusOf(runId: string): Promise<string | undefined>;
  /**
   * Until the engine holds the run's wait for an event. The middleware marks a run "waiting"
   * from the SDK's response, a moment before the engine stores the wait; an event sent in
   * between matches nothing (as on any Inngest server, a wait sees only later events).
   */
  waitingForEvent(runId: string, timeoutMs?: number): Promise<void>;
  /** Events the engine has taken in, for "nothing was sent" checks. */
  eventCount(): Promise<number>;
  close(): Promise<void>;
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RunsHarnessOptions = {
  /** Test-only Inngest functions served beside the app's own (they must use the app's `inngest` client). */
  extraFunctions?: readonly InngestFunction.Any[];
};

export async function startRunsHarness(opts: RunsHarnessOptions = {}): Promise<RunsHarness> {
  const port = Number(process.env.WFLO_ENGINE_PORT);
  if (!port) throw new Error("call claimEnginePort() inside vi.hoisted before importing the runs harness");
  const fresh = await freshDatabase();
  // The middleware records through the app's own connection, which reads this lazily.
  process.env.DATABASE_URL = fresh.url;

  const engine = createEngine({ db: fresh.db, port, pollIntervalMs: 20, backoff: () => 50 });
  await engine.start();
  if (new URL(inngest.eventBaseUrl).port !== String(port)) {
    throw new Error(
      `the Inngest client sends to ${inngest.eventBaseUrl}, not the engine on port ${port}: it was imported before claimEnginePort()`,
    );
  }
  const app: Server = createServer(
    serve({
      client: inngest,
      functions: [...servedFunctions, ...(opts.extraFunctions ?? [])],
      ...serveHandlerOptions(),
    }),
  );
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
  await engine.syncApp(appUrl);

  const until: RunsHarness["until"] = async (what, probe, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await pause(50);
    }
  };
  const as: RunsHarness["as"] = (user) => appRouter.createCaller(createInnerContext({ db: fresh.db, user }));
  let system: SessionUser | undefined;
  const h: RunsHarness = {
    fresh,
    engine,
    appUrl,
    as,
    until,
    async user(email, role) {
      const [u] = await fresh.db.insert(users).values({ email, name: email, role, passwordHash: "x" }).returning();
      if (!u) throw new Error(`could not create user ${email}`);
      return { id: u.id, email: u.email, name: u.name, role };
    },
    async runFor(eventId) {
      system ??= await h.user("harness-viewer@example.com", "viewer");
      const viewer = system;
      return until(`a run for event ${eventId}`, async () => (await as(viewer).runs.byEvent({ eventId }))[0]);
    },
    async start(name, { data = {}, by, envelope = {} } = {}) {
      const triggeredBy = by ? { triggeredBy: { id: by.id, email: by.email } } : {};
      // Signed as wflo's server signs it (server/runs/dispatch.ts): unsigned, the middleware drops it.
      const { ids } = await inngest.send(
        signEvent({ id: randomUUID(), name, data: withEnvelope(data, { ...envelope, ...triggeredBy }) }),
      );
      return (await h.runFor(ids[0]!)).id;
    },
    async finished(runId, timeoutMs) {
      return until(
        `run ${runId} to finish`,
        async () => {
          const [r] = await fresh.db.select().from(runs).where(eq(runs.id, runId));
          return r && ["completed", "failed", "cancelled"].includes(r.status) ? r : undefined;
        },
        timeoutMs,
      );
    },
    async statusOf(runId) {
      return (await fresh.db.select({ s: runs.status }).from(runs).where(eq(runs.id, runId)))[0]?.s;
    },
    async waitingForEvent(runId, timeoutMs) {
      await until(
        `run ${runId} to wait for an event`,
        async () => {
          const rows = await fresh.db.execute<{ n: number }>(
            sql`select count(*)::int as n from engine_waits where run_id = ${runId} and kind = 'event'`,
          );
          return (rows[0]?.n ?? 0) > 0;
        },
        timeoutMs,
      );
    },
    async eventCount() {
      const rows = await fresh.db.execute<{ n: number }>(sql`select count(*)::int as n from engine_events`);
      return rows[0]?.n ?? 0;
    },
    async close() {
      await engine.stop();
      await new Promise((r) => app.close(r));
      await closeDb();
      await fresh.drop();
    },
  };
  return h;
}

type AnyHarness = { user(email: string, role: SessionUser["role"]): Promise<SessionUser>; close(): Promise<void> };
type UserSpecs<K extends string> = Record<K, readonly [email: string, role: SessionUser["role"]]>;

/**
 * A test file's prologue in one call, at its top level, right after claiming the engine port:
 *
 *   const { h, admin, viewer } = await openHarness(startRunsHarness, { admin: ["admin@example.com", "admin"], viewer: ["viewer@example.com", "viewer"] });
 *
 * Starts the harness (any of them: the runs harness, the approvals gate harness, ...), stores the
 * named users, and closes it after the file's tests.
 */
export async function openHarness<H extends AnyHarness, K extends string>(
  start: () => Promise<H>,
  users: UserSpecs<K>,
): Promise<{ h: H } & Record<K, SessionUser>> {
  // Top-level code has no hook timeout: a harness that never comes up fails the file instead of hanging it.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the test harness did not start within 90 s")), 90_000);
  });
  const h = await Promise.race([start(), timeout]).finally(() => clearTimeout(timer));
  afterAll(() => h.close());
  const named = {} as Record<K, SessionUser>;
  for (const [name, [email, role]] of Object.entries(users) as [K, UserSpecs<K>[K]][])
    named[name] = await h.user(email, role);
  return { h, ...named };
}
