import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, sleep, startHarness, type Harness } from "./testing/harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "signal-waiter", triggers: [{ event: "r/signal" }] }, async ({ step }) => {
      const got = await step.waitForSignal("wait-signal", { signal: "approval-42", timeout: "10s" });
      return got;
    }),
    client.createFunction({ id: "two-steps", triggers: [{ event: "r/two" }] }, async ({ step }) => {
      await step.run("one", () => 1);
      return step.run("two", () => 2);
    }),
  ]);
});
afterAll(async () => h?.close());

describe("REST API", () => {
  it("resumes step.waitForSignal through POST /v1/signals (inngest.sendSignal)", async () => {
    await h.engine.sendEvent({ name: "r/signal" });
    await sleep(500);
    const res = await h.client.sendSignal({ signal: "approval-42", data: { ok: true } });
    expect(res.runId).toBeTruthy();
    const run = await h.waitForRun((r) => r.functionId === fnId("signal-waiter"));
    expect(run.status).toBe("completed");
    expect(JSON.stringify(run.output)).toContain('"ok":true');
  });

  it("answers 404 for a signal nobody waits for", async () => {
    const res = await fetch(`${h.engine.url}/v1/signals`, {
      method: "POST",
      headers: h.auth,
      body: JSON.stringify({ signal: "nobody", data: {} }),
    });
    expect(res.status).toBe(404);
  });

  it("serves run data at /v0/runs/:id/batch and /actions, and runs by event id", async () => {
    const { ids } = await h.engine.sendEvent({ name: "r/two", id: "evt-two" });
    const run = await h.waitForRun((r) => r.functionId === fnId("two-steps"));
    const batch = (await (await fetch(`${h.engine.url}/v0/runs/${run.id}/batch`, { headers: h.auth })).json()) as {
      name: string;
    }[];
    expect(batch.map((e) => e.name)).toEqual(["r/two"]);
    const actions = (await (
      await fetch(`${h.engine.url}/v0/runs/${run.id}/actions`, { headers: h.auth })
    ).json()) as Record<string, { data: unknown }>;
    expect(Object.values(actions).map((a) => a.data)).toEqual([1, 2]);
    const byEvent = (await (await fetch(`${h.engine.url}/v1/events/${ids[0]}/runs`, { headers: h.auth })).json()) as {
      data: { run_id: string; status: string }[];
    };
    expect(byEvent.data).toEqual([{ run_id: run.id, status: "completed", function_id: fnId("two-steps") }]);
    const got = (await (await fetch(`${h.engine.url}/v1/runs/${run.id}`, { headers: h.auth })).json()) as {
      data: { status: string; output: unknown };
    };
    expect(got.data).toMatchObject({ status: "completed", output: 2 });
  });

  it("lists synced functions", async () => {
    const fns = await h.engine.listFunctions();
    expect(fns.map((f) => f.id).sort()).toEqual([fnId("signal-waiter"), fnId("two-steps")]);
  });
});

describe("event ids", () => {
  it("derives ULIDs from the SDK's id seed, so a retried send is de-duplicated", async () => {
    const headers = { "x-inngest-event-id-seed": `${Date.now()},${Buffer.alloc(10, 7).toString("base64")}` };
    const body = [{ name: "r/two" }, { name: "r/two" }];
    const first = (await h.postEvents(body, { headers })).body as { ids: string[] };
    const again = (await h.postEvents(body, { headers })).body as { ids: string[] };
    expect(first.ids).toHaveLength(2);
    expect(first.ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(first.ids[0]).not.toBe(first.ids[1]);
    expect(again.ids).toEqual(first.ids);
    await sleep(500);
    const runs = await h.fresh.sql<
      { n: number }[]
    >`select count(*)::int as n from engine_runs where event->>'id' = any(${first.ids}::text[])`;
    expect(runs[0]?.n).toBe(2);
  });
});

describe("out-of-band sync", () => {
  it("registers an app that answers a plain PUT by calling POST /fn/register", async () => {
    const res = await fetch(h.appUrl, { method: "PUT" });
    expect(res.status).toBe(200);
    // (No x-inngest-sync-kind header here: a cloud-mode SDK strips x-inngest-* headers from answers to unsigned requests.)
    expect(await res.json()).toMatchObject({ modified: true });
    const apps = await h.fresh.sql<{ id: string; url: string }[]>`select id, url from engine_apps`;
    expect(apps).toEqual([{ id: "test-app", url: h.appUrl }]);
  });
});
