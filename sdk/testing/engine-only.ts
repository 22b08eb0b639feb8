import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll } from "vitest";
import { closeDb } from "@/db/client";
import { llmCalls } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import type { Engine } from "@/inngest/engine";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";

/**
 * What a test of the SDK's own hosting needs: a fresh PostgreSQL (made the process's database),
 * the embedded engine on the claimed port, and the local provider server; no app serve handler,
 * because the SDK syncs its own. Retries come 300 ms apart so a "crashed" caller has time to
 * come back. Call it in beforeAll after `claimEnginePort()`, and `close()` in afterAll.
 */
export type EngineOnly = {
  fresh: FreshDb;
  engine: Engine;
  providers: ProviderServer;
  /** The LLM calls recorded for a run, oldest first. */
  callsOf(runId: string): Promise<(typeof llmCalls.$inferSelect)[]>;
  close(): Promise<void>;
};

export async function startEngineOnly(): Promise<EngineOnly> {
  const fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const providers = await startProviderServer();
  // Loaded only once DATABASE_URL names the fresh database (what it imports may open the db client).
  const { createEngine } = await import("@/inngest/engine");
  const engine = createEngine({
    db: fresh.db,
    port: Number(process.env.WFLO_ENGINE_PORT),
    pollIntervalMs: 20,
    backoff: () => 300,
  });
  await engine.start();
  return {
    fresh,
    engine,
    providers,
    callsOf: (runId) =>
      fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.createdAt)),
    async close() {
      await engine.stop();
      await providers.close();
      await closeDb();
      await fresh.drop();
    },
  };
}

/**
 * `startEngineOnly()` for a whole test file: started in beforeAll, closed in afterAll. The
 * returned object is filled in once beforeAll has run, so read its fields inside tests only.
 */
export function engineOnlyForSuite(): EngineOnly {
  const env = {} as EngineOnly;
  beforeAll(async () => {
    Object.assign(env, await startEngineOnly());
  });
  afterAll(async () => {
    if ("close" in env) await env.close();
  });
  return env;
}
