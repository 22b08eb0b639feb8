import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "./index";
import { engineSigningKey } from "./signing-key";

/**
 * The drop-in promise: an Inngest app in another process, pointed at the engine only with the
 * SDK's own variables (INNGEST_BASE_URL and the engine's signing key, as at a self-hosted Inngest
 * server), syncs the way the SDK syncs — a PUT to its own serve endpoint makes it register with
 * the engine — and its functions run there, called with signed requests.
 */
let fresh: FreshDb;
let engine: Engine;
let app: ChildProcess | undefined;

beforeAll(async () => {
  fresh = await freshDatabase();
  engine = createEngine({ db: fresh.db, port: 0, pollIntervalMs: 20 });
  await engine.start();
});
afterAll(async () => {
  app?.kill("SIGKILL");
  await engine?.stop();
  await fresh?.drop();
});

function startApp(engineUrl: string): Promise<string> {
  // Only the SDK's variables point the app at the engine; no other Inngest settings leak in.
  const { INNGEST_BASE_URL: _b, INNGEST_SIGNING_KEY: _s, INNGEST_EVENT_KEY: _e, INNGEST_DEV: _d, ...rest } = process.env;
  const env = { ...rest, INNGEST_BASE_URL: engineUrl, INNGEST_SIGNING_KEY: engineSigningKey(), INNGEST_EVENT_KEY: "any-key", WFLO_LOG_LEVEL: "error" };
  const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "testing", "external-app.ts")], { env, stdio: ["ignore", "pipe", "inherit"] });
  app = child;
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`external app exited early with ${code}`)));
  });
}

describe("an external Inngest SDK app", () => {
  it("registers itself with the engine and its functions run there", async () => {
    const serveUrl = await startApp(engine.url);
    // What `npx inngest-cli dev -u <url>` or a deploy hook does: ask the app to sync.
    const put = await fetch(serveUrl, { method: "PUT" });
    expect(put.status).toBe(200);
    const fns = await engine.listFunctions();
    expect(fns.map((f) => f.id)).toContain("external-shop-fulfil-order");

    // Events sent over the engine's public intake, as `inngest.send` in any app would.
    const sent = await fetch(`${engine.url}/e/any-key`, {
      method: "POST",
      body: JSON.stringify([{ name: "shop/order.placed", data: { orderId: "o-1", sku: "tea", qty: 3 } }]),
    });
    expect(sent.status).toBe(200);

    let run: Awaited<ReturnType<Engine["listRuns"]>>[number] | undefined;
    for (let i = 0; i < 300; i++) {
      [run] = await engine.listRuns({ functionId: "external-shop-fulfil-order" });
      if (run && run.status !== "running" && run.status !== "queued") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(run?.status).toBe("completed");
    const detail = await engine.getRun(run!.id);
    expect(detail?.output).toEqual({ orderId: "o-1", charged: 750 });
  }, 60_000);
});
