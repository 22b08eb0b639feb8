import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "./index";
import { eventKeyDisplay, hashEventKey, newEventKey } from "@/server/security/event-key-format";
import { engineSigningKey } from "@/server/security/signing-key";
import { postToIntake } from "./testing/intake";

/**
 * The drop-in promise: an Inngest app in another process, pointed at the engine only with the
 * SDK's own variables (INNGEST_BASE_URL, the engine's signing key and an event key, as at a
 * self-hosted Inngest server), syncs the way the SDK syncs — a PUT to its own serve endpoint
 * makes it register with the engine — and its functions run there, called with signed requests.
 * The event key is one an admin made (a row of event_keys, as Settings → Event keys stores it),
 * so the events the app sends are recorded against it.
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

/** An event key as the admin service stores it (server/event-keys): only the hash. */
async function issueEventKey(): Promise<{ key: string; id: string }> {
  const key = newEventKey();
  const [row] = await fresh.sql<{ id: string }[]>`
    insert into event_keys (name, prefix, last4, hash, created_by_email)
    values ('external-shop', ${eventKeyDisplay(key).prefix}, ${eventKeyDisplay(key).last4}, ${hashEventKey(key)}, 'admin@example.com') returning id`;
  return { key, id: row!.id };
}

function startApp(engineUrl: string, eventKey: string): Promise<string> {
  // Only the SDK's variables point the app at the engine; no other Inngest settings leak in.
  const {
    INNGEST_BASE_URL: _b,
    INNGEST_SIGNING_KEY: _s,
    INNGEST_EVENT_KEY: _e,
    INNGEST_DEV: _d,
    ...rest
  } = process.env;
  const env = {
    ...rest,
    INNGEST_BASE_URL: engineUrl,
    INNGEST_SIGNING_KEY: engineSigningKey(),
    INNGEST_EVENT_KEY: eventKey,
    WFLO_LOG_LEVEL: "error",
  };
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "testing", "external-app.ts")],
    { env, stdio: ["ignore", "pipe", "inherit"] },
  );
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
    const issued = await issueEventKey();
    const serveUrl = await startApp(engine.url, issued.key);
    // What `npx inngest-cli dev -u <url>` or a deploy hook does: ask the app to sync.
    const put = await fetch(serveUrl, { method: "PUT" });
    expect(put.status).toBe(200);
    const fns = await engine.listFunctions();
    expect(fns.map((f) => f.id)).toContain("external-shop-fulfil-order");

    // Events sent over the engine's public intake with the app's event key, as `inngest.send` in any app would.
    const sent = await postToIntake(
      engine.url,
      [{ name: "shop/order.placed", data: { orderId: "o-1", sku: "tea", qty: 3 } }],
      { key: issued.key },
    );
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

    // The app's own step.sendEvent went through the intake with INNGEST_EVENT_KEY and started its other function.
    let notified: Awaited<ReturnType<Engine["listRuns"]>>[number] | undefined;
    for (let i = 0; i < 300; i++) {
      [notified] = await engine.listRuns({ functionId: "external-shop-notify-customer" });
      if (notified && notified.status !== "running") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(notified?.status).toBe("completed");
    const senders = await fresh.sql<
      { name: string; event_key_id: string | null }[]
    >`select name, event_key_id from engine_events where name like 'shop/%' order by received_at`;
    expect(senders).toEqual([
      { name: "shop/order.placed", event_key_id: issued.id },
      { name: "shop/order.fulfilled", event_key_id: issued.id },
    ]);
  }, 60_000);
});
