import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSigningKey } from "@/server/security/signing";
import { fnId, startHarness, type Harness } from "./testing/harness";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const SIGNING_KEY = `signkey-test-${"ab".repeat(32)}`;
let h: Harness;
let server: Server;

beforeAll(async () => {
  h = await startHarness({ signingKey: SIGNING_KEY });
  // A cloud-mode app: it verifies every request's signature and authenticates its REST calls.
  const client = new Inngest({
    id: "test-app",
    isDev: false,
    signingKey: SIGNING_KEY,
    eventKey: h.eventKey,
    baseUrl: h.engine.url,
  });
  const fn = client.createFunction({ id: "signed", triggers: [{ event: "s/go" }] }, async ({ step }) => {
    const a = await step.run("a", () => 1);
    await step.sleep("nap", "1s");
    return a + (await step.run("b", () => 2));
  });
  server = createServer(serve({ client, functions: [fn] }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`;
  await h.engine.syncApp(url);
  await client.send({ name: "s/go" });
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await h?.close();
});

describe("signing", () => {
  it("hashes the signing key the way the SDK does for REST bearer tokens", () => {
    expect(hashSigningKey(SIGNING_KEY)).toBe(
      "signkey-test-9a2db2e23f1504cd056606553ac049c5e718e8f9ce9233876df1a7a1821af885",
    );
  });

  it("runs a cloud-mode app that verifies signatures, with checkpoints authenticated by bearer", async () => {
    const run = await h.waitForRun((r) => r.functionId === fnId("signed"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe(3);
  });

  it("refuses REST calls without the signing key's bearer token", async () => {
    const res = await fetch(`${h.engine.url}/v1/runs/anything`);
    expect(res.status).toBe(401);
  });
});
