import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, startHarness, type Harness } from "./testing/harness";

let h: Harness;
let garbage: Server;
let garbageUrl = "";

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "fine", triggers: [{ event: "b/fine" }] }, async ({ step }) =>
      step.run("ok", () => "fine"),
    ),
    client.createFunction({ id: "gone", retries: 1, triggers: [{ event: "b/gone" }] }, async () => "never"),
    client.createFunction({ id: "huge-step", retries: 0, triggers: [{ event: "b/huge" }] }, async ({ step }) => {
      await step.run("big", () => "x".repeat(5 * 1024 * 1024));
      return "unreachable";
    }),
    client.createFunction({ id: "huge-return", retries: 0, triggers: [{ event: "b/huge-return" }] }, async () =>
      "y".repeat(5 * 1024 * 1024),
    ),
    client.createFunction(
      { id: "bigint", retries: 0, triggers: [{ event: "b/bigint" }] },
      async () => ({ n: BigInt(1) }) as unknown as string,
    ),
  ]);
  garbage = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html>502 bad gateway</html>");
  });
  await new Promise<void>((r) => garbage.listen(0, "127.0.0.1", () => r()));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}/api/inngest`;
});
afterAll(async () => {
  garbage?.closeAllConnections();
  garbage?.close();
  await h?.close();
});

const post = (body: string) => h.postEvents(body);
const storedEvents = async () =>
  (await h.fresh.sql<{ n: number }[]>`select count(*)::int as n from engine_events`)[0]?.n ?? 0;

describe("malformed events", () => {
  it.each([
    ["no name", JSON.stringify({ data: {} }), "name"],
    ["empty name", JSON.stringify([{ name: "  ", data: {} }]), "name"],
    ["data not an object", JSON.stringify({ name: "b/x", data: [1, 2] }), "data must be an object"],
    ["data a string", JSON.stringify({ name: "b/x", data: "text" }), "data must be an object"],
    ["not JSON", "{name:", "not valid JSON"],
    ["event not an object", JSON.stringify(["b/x"]), "must be a JSON object"],
    ["over 256 KiB", JSON.stringify({ name: "b/x", data: { blob: "z".repeat(300 * 1024) } }), "per-event limit"],
    ["reserved name", JSON.stringify({ name: "inngest/function.failed", data: {} }), "reserved"],
  ])("rejects %s with a 400 that says why, storing nothing", async (_label, body, why) => {
    const before = await storedEvents();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(why);
    expect(await storedEvents()).toBe(before);
  });

  it("rejects the whole request when one event of several is bad", async () => {
    const before = await storedEvents();
    const res = await post(JSON.stringify([{ name: "b/fine" }, { name: "b/fine", data: 5 }]));
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("event[1].data");
    expect(await storedEvents()).toBe(before);
  });

  it("rejects a request body over 3 MiB with a 413", async () => {
    const events = Array.from({ length: 14 }, () => ({ name: "b/x", data: { blob: "q".repeat(250 * 1024) } }));
    const res = await post(JSON.stringify(events));
    expect(res.status).toBe(413);
    expect(res.body.error).toContain("3 MiB limit");
  });

  it("throws a clear error from sendEvent() for bad events", async () => {
    await expect(h.engine.sendEvent({ name: "" })).rejects.toThrow(/name/);
  });

  it("de-duplicates events by id", async () => {
    const a = await post(JSON.stringify({ name: "b/fine", id: "dedupe-1" }));
    const b = await post(JSON.stringify({ name: "b/fine", id: "dedupe-1" }));
    expect(a.body.ids).toEqual(["dedupe-1"]);
    expect(b.body.ids).toEqual(["dedupe-1"]);
    await h.waitForRun((r) => r.functionId === fnId("fine"));
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.engine.listRuns({ functionId: fnId("fine") })).toHaveLength(1);
  });
});

describe("failing runs stay contained", () => {
  it("fails a run whose step output is over 4 MiB, with a clear error", async () => {
    await h.engine.sendEvent({ name: "b/huge" });
    const run = await h.waitForRun((r) => r.functionId === fnId("huge-step"));
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "StepOutputTooLarge" });
    expect(JSON.stringify(run.error)).toContain("4 MiB");
    expect(run.steps).toHaveLength(0);
  });

  it("fails a run whose return value is over 4 MiB", async () => {
    await h.engine.sendEvent({ name: "b/huge-return" });
    const run = await h.waitForRun((r) => r.functionId === fnId("huge-return"));
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "OutputTooLarge" });
  });

  it("fails a run whose return value can't be serialised, recording the SDK's error", async () => {
    await h.engine.sendEvent({ name: "b/bigint" });
    const run = await h.waitForRun((r) => r.functionId === fnId("bigint"));
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error).toLowerCase()).toContain("bigint");
  });

  it("fails a run whose SDK answers garbage, recording why", async () => {
    const reg = await fetch(`${h.engine.url}/fn/register`, {
      method: "POST",
      headers: h.auth,
      body: JSON.stringify({
        url: garbageUrl,
        appName: "garbage-app",
        functions: [
          {
            id: "garbage-app-fn",
            name: "fn",
            triggers: [{ event: "b/garbage" }],
            steps: {
              step: {
                id: "step",
                name: "step",
                runtime: { type: "http", url: `${garbageUrl}?fnId=garbage-app-fn&stepId=step` },
                retries: { attempts: 1 },
              },
            },
          },
        ],
      }),
    });
    expect(reg.status).toBe(200);
    await h.engine.sendEvent({ name: "b/garbage" });
    const run = await h.waitForRun((r) => r.functionId === "garbage-app-fn");
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ name: "SdkProtocolError" });
    expect(JSON.stringify(run.error)).toContain("not JSON");
  });

  it("refuses a registration with a bad expression, naming it", async () => {
    const reg = await fetch(`${h.engine.url}/fn/register`, {
      method: "POST",
      headers: h.auth,
      body: JSON.stringify({
        url: garbageUrl,
        appName: "bad-app",
        functions: [
          {
            id: "bad-app-fn",
            triggers: [{ event: "b/x", expression: "event.data.== 1" }],
            steps: { step: { id: "step", name: "step", runtime: { type: "http", url: garbageUrl } } },
          },
        ],
      }),
    });
    expect(reg.status).toBe(400);
    expect(((await reg.json()) as { error: string }).error).toContain("triggers[0].expression");
  });
  it("fails a run whose function the app no longer serves, with the SDK's message", async () => {
    // Re-serve the app without "gone" but keep the engine's registration (no re-sync).
    const { client } = h;
    const keep = [
      client.createFunction({ id: "fine", triggers: [{ event: "b/fine" }] }, async ({ step }) =>
        step.run("ok", () => "fine"),
      ),
    ];
    const syncedUrl = h.appUrl;
    await h.serveFunctions(keep);
    await h.fresh
      .sql`update engine_functions set url = replace(url, ${new URL(syncedUrl).origin}, ${new URL(h.appUrl).origin})`;
    await h.fresh.sql`update engine_functions set removed_at = null where id = ${fnId("gone")}`;
    await new Promise((r) => setTimeout(r, 1_100));
    await h.engine.sendEvent([{ name: "b/gone" }, { name: "b/fine" }]);
    const run = await h.waitForRun((r) => r.functionId === fnId("gone"));
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toContain("was not found in this app");
    const fine = (await h.runsOf(fnId("fine"))).at(-1)!;
    expect((await h.waitForEnd(fine.id)).status).toBe("completed");
  });
});
