import { log } from "@/server/log";
import type { Database } from "@/db/client";
import { createEngine, type Engine } from "./index";

/**
 * Starts the embedded engine the way a wflo server process wants it, from the environment:
 *   WFLO_ENGINE          "on" | "off"; default on unless INNGEST_BASE_URL / INNGEST_API_BASE_URL /
 *                        a URL in INNGEST_DEV names another server (a real Inngest is configured)
 *   WFLO_ENGINE_PORT     default 8288;  WFLO_ENGINE_HOST  default 127.0.0.1
 *   WFLO_ENGINE_APPS     comma-separated serve URLs to sync (default: this app's /api/inngest)
 *   INNGEST_SIGNING_KEY  when set, requests to SDKs are signed and REST calls need its bearer
 * Returns null when the engine stays off.
 */
export type Env = Record<string, string | undefined>;

export async function startEngineFromEnv(db: Database, env: Env = process.env): Promise<Engine | null> {
  const port = Number(env.WFLO_ENGINE_PORT ?? 8288);
  const host = env.WFLO_ENGINE_HOST ?? "127.0.0.1";
  if (!engineWanted(env, port)) {
    log.info("engine: a real Inngest server is configured; the embedded engine stays off");
    return null;
  }
  const apps = (env.WFLO_ENGINE_APPS ?? `http://127.0.0.1:${env.PORT ?? 3000}/api/inngest`)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const engine = createEngine({ db, port, host, signingKey: env.INNGEST_SIGNING_KEY || undefined });
  await engine.start();
  // The app's own serve route may not answer yet while the server boots: keep trying.
  for (const app of apps) void syncWhenReady(engine, app);
  return engine;
}

export function engineWanted(env: Env, port: number): boolean {
  const flag = env.WFLO_ENGINE?.toLowerCase();
  if (flag === "off" || flag === "0" || flag === "false") return false;
  if (flag === "on" || flag === "1" || flag === "true") return true;
  const configured = [env.INNGEST_BASE_URL, env.INNGEST_API_BASE_URL, env.INNGEST_DEV].filter((v): v is string => !!v && /^https?:\/\//.test(v));
  return configured.every((u) => {
    try {
      const url = new URL(u);
      return ["127.0.0.1", "localhost", "0.0.0.0", "[::1]"].includes(url.hostname) && Number(url.port || 80) === port;
    } catch {
      return true;
    }
  });
}

async function syncWhenReady(engine: Engine, app: string): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      const res = await engine.syncApp(app);
      log.info({ app, functions: res.functions.length }, "engine: app synced");
      return;
    } catch (e) {
      if (attempt === 59) log.error({ err: e, app }, "engine: giving up syncing app");
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}
