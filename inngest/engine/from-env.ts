import { log } from "@/server/log";
import type { Database } from "@/db/client";
import { createEngine, type Engine } from "./index";
import { engineSigningKey } from "@/server/security/signing-key";
import { configFrom, type RawEnv } from "@/server/env";

/**
 * Starts the embedded engine for a wflo server process, configured from the environment:
 *   WFLO_ENGINE_PORT     default 8288;  WFLO_ENGINE_HOST  default 127.0.0.1
 *   WFLO_ENGINE_APPS     comma-separated serve URLs to sync (default: this app's /api/inngest)
 *   WFLO_ENGINE_SIGNING_KEY  requests to SDKs are signed and REST calls need its bearer; default:
 *                        the key in <WFLO_DATA_DIR or ./.wflo>/engine-signing-key (server/security/signing-key.ts)
 * Whether to start it at all is the caller's decision (`inngestMode()` in inngest/client.ts),
 * so the engine and the app's Inngest client can never disagree about where events go.
 */
export type Env = RawEnv;

export async function startEmbeddedEngine(db: Database, env: Env = process.env): Promise<Engine> {
  const config = configFrom(env);
  const port = config.WFLO_ENGINE_PORT;
  const host = config.WFLO_ENGINE_HOST;
  const apps = (config.WFLO_ENGINE_APPS ?? `http://127.0.0.1:${config.PORT}/api/inngest`)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const engine = createEngine({ db, port, host, signingKey: engineSigningKey(env) });
  await engine.start();
  // The app's own serve route answers only once Next is listening, after boot returns: keep trying.
  for (const app of apps) void syncWhenReady(engine, app);
  return engine;
}

async function syncWhenReady(engine: Engine, app: string): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    await new Promise((r) => setTimeout(r, attempt === 0 ? 200 : 500));
    try {
      const res = await engine.syncApp(app);
      log.info({ app, functions: res.functions }, "engine: app synced");
      return;
    } catch (e) {
      if (attempt === 239) log.error({ err: e, app }, "engine: giving up syncing app; its workflows will not run");
    }
  }
}
