import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import { serve } from "inngest/node";
import { closeDb } from "@/db/client";
import { approvals, runs, users, type ApprovalRow } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "@/inngest/engine";
import { inngest } from "@/inngest/client";
import { servedFunctions } from "@/inngest/registry";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { gateTestFunctions } from "./gate-functions";

/**
 * Approvals on real parts: a fresh database, the embedded engine, wflo's real serve handler
 * with the app's functions plus the short-timer test gates. Call `claimEnginePort` in
 * `vi.hoisted` first (as for the runs harness).
 */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startGateHarness() {
  const port = Number(process.env.WFLO_ENGINE_PORT);
  if (!port) throw new Error("call claimEnginePort() inside vi.hoisted first");
  const fresh: FreshDb = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const engine: Engine = createEngine({ db: fresh.db, port, pollIntervalMs: 20, backoff: () => 50 });
  await engine.start();
  const app: Server = createServer(serve({ client: inngest, functions: [...servedFunctions, ...gateTestFunctions] }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  await engine.syncApp(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);

  async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await pause(50);
    }
  }
  const h = {
    fresh,
    engine,
    until,
    as: (user: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user })),
    async user(email: string, role: SessionUser["role"]): Promise<SessionUser> {
      const [u] = await fresh.db.insert(users).values({ email, name: email, role, passwordHash: "x" }).returning();
      if (!u) throw new Error(`could not create ${email}`);
      return { id: u.id, email: u.email, name: u.name, role };
    },
    /** Sends an event as if `by` triggered it (wflo's envelope), returns the run id. */
    async start(name: string, data: Record<string, unknown>, by?: SessionUser): Promise<string> {
      const { ids } = await inngest.send({ name, data: { ...data, _wflo: by ? { triggeredBy: { id: by.id, email: by.email } } : {} } });
      const eventId = ids[0]!;
      return until(`a run for ${name}`, async () => {
        const rows = await fresh.db.execute<{ run_id: string }>(sql`select id as run_id from engine_runs where event->>'id' = ${eventId} limit 1`);
        return rows[0]?.run_id;
      });
    },
    /** The gate's approval once it waits (row pending and the engine holds the wait). */
    async pendingGate(runId: string, gate: string): Promise<ApprovalRow> {
      const a = await until(`approval ${gate} of ${runId}`, async () => (await fresh.db.select().from(approvals).where(eq(approvals.runId, runId))).find((r) => r.gate === gate));
      await until(`run ${runId} to wait`, async () => {
        const rows = await fresh.db.execute<{ n: number }>(sql`select count(*)::int as n from engine_waits where run_id = ${runId} and kind = 'event'`);
        return (rows[0]?.n ?? 0) > 0;
      });
      return a;
    },
    async approval(id: string): Promise<ApprovalRow> {
      return (await fresh.db.select().from(approvals).where(eq(approvals.id, id)))[0]!;
    },
    async engineRun(runId: string) {
      return h.engine.getRun(runId);
    },
    async runStatus(runId: string) {
      return (await fresh.db.select({ s: runs.status }).from(runs).where(eq(runs.id, runId)))[0]?.s;
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
export type GateHarness = Awaited<ReturnType<typeof startGateHarness>>;
