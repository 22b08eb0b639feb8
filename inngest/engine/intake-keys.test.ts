import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventKeyDisplay, hashEventKey, newEventKey } from "@/server/security/event-key-format";
import { fnId, startHarness, type Harness } from "./testing/harness";

/**
 * Issue 13, findings 1 and 3 at the engine: the intake (`POST /e/:key`) accepted any event from
 * anyone who could reach the port, with any content type (so a web page could post with
 * `mode: "no-cors"`), and wflo's own event names from anyone. Now it needs a key: the app's
 * internal one (derived from the signing key) or an admin-made event key, which may not send
 * reserved names. Keys are rows here (the engine only reads event_keys); the admin service that
 * makes them is tested in server/event-keys.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "echo", retries: 0, triggers: [{ event: "k/go" }] }, async ({ event }) => event.data),
    // Stands in for a gate that believed the event: it must never start from an outside key.
    client.createFunction(
      { id: "decided", retries: 0, triggers: [{ event: "wflo/approval.decided" }] },
      async ({ event }) => event.data,
    ),
  ]);
});
afterAll(async () => h?.close());

/** An event key as the admin service stores it: only the hash, the display parts and who made it. */
async function outsideKey(opts: { revoked?: boolean } = {}): Promise<{ key: string; id: string }> {
  const key = newEventKey();
  const { prefix, last4 } = eventKeyDisplay(key);
  const [row] = await h.fresh.sql<{ id: string }[]>`
    insert into event_keys (name, prefix, last4, hash, created_by_email, revoked_at)
    values ('partner', ${prefix}, ${last4}, ${hashEventKey(key)}, 'admin@example.com', case when ${opts.revoked === true} then now() end)
    returning id`;
  return { key, id: row!.id };
}

/** Events and runs so far; not the engine's own `inngest/function.finished`, which earlier runs emit whenever they end. */
async function counts() {
  const [row] = await h.fresh.sql<{ events: number; runs: number }[]>`
    select (select count(*)::int from engine_events where name <> 'inngest/function.finished') as events, (select count(*)::int from engine_runs) as runs`;
  return row!;
}

/** Posts `body` and checks that the refusal stored no event and started no run. */
async function refused(body: unknown, opts: Parameters<Harness["postEvents"]>[1]) {
  const before = await counts();
  const res = await h.postEvents(body, opts);
  expect(await counts()).toEqual(before);
  return res;
}

/** The run an event started, once it has finished. */
async function finishedRunOf(eventId: string) {
  for (let i = 0; i < 600; i++) {
    const [row] = await h.fresh.sql<
      { id: string }[]
    >`select id from engine_runs where event->>'id' = ${eventId} and status <> 'running'`;
    if (row) return h.engine.getRun(row.id);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no finished run for event ${eventId}`);
}

const go = { name: "k/go", data: { n: 1 } };

describe("the intake requires an event key", () => {
  it("refuses a request without a key with a 401 that says so, storing nothing", async () => {
    const res = await refused(go, { key: null });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/event key is required/);
  });

  it("refuses an unknown key", async () => {
    const res = await refused(go, { key: "any-key" });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/unknown event key/);
    // A well-formed key that was never issued is just as unknown.
    expect((await refused(go, { key: newEventKey() })).status).toBe(401);
  });

  it("refuses a revoked key", async () => {
    const { key } = await outsideKey({ revoked: true });
    const res = await refused(go, { key });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/revoked/);
  });

  it("stops accepting a key the moment it is revoked", async () => {
    const { key, id } = await outsideKey();
    expect((await h.postEvents(go, { key })).status).toBe(200);
    await h.fresh.sql`update event_keys set revoked_at = now() where id = ${id}`;
    expect((await refused(go, { key })).status).toBe(401);
  });

  it("starts a run from an outside key's event and records which key sent it", async () => {
    const { key, id } = await outsideKey();
    const res = await h.postEvents({ name: "k/go", data: { from: "partner" } }, { key });
    expect(res.status).toBe(200);
    const [eventId] = res.body.ids!;
    const [stored] = await h.fresh.sql<
      { event_key_id: string | null }[]
    >`select event_key_id from engine_events where id = ${eventId!}`;
    expect(stored?.event_key_id).toBe(id);
    const run = await finishedRunOf(eventId!);
    expect(run).toMatchObject({ functionId: fnId("echo"), status: "completed", output: { from: "partner" } });
    const [used] = await h.fresh.sql<
      { used: boolean }[]
    >`select last_used_at is not null as used from event_keys where id = ${id}`;
    expect(used).toEqual({ used: true });
  });

  it("records no key for the app's own (internal) key, which the SDK client sends with", async () => {
    const { ids } = await h.client.send({ name: "k/go", data: { from: "app" } });
    const [stored] = await h.fresh.sql<
      { event_key_id: string | null }[]
    >`select event_key_id from engine_events where id = ${ids[0]!}`;
    expect(stored).toEqual({ event_key_id: null });
  });
});

describe("reserved names", () => {
  it.each([
    ["wflo/approval.decided", "wflo/"],
    ["wflo/run.rollback.requested", "wflo/"],
    ["wflo-sdk/agent.execute", "wflo-sdk/"],
    ["inngest/function.invoked", "inngest/"],
  ])("refuses %s from an outside key with a 403 naming the rule", async (name, prefix) => {
    const { key } = await outsideKey();
    const res = await refused(
      [go, { name, data: { approvalId: "a-1", status: "approved", decidedBy: "ceo@example.com" } }],
      { key },
    );
    expect(res.status).toBe(403);
    expect(res.body.error).toContain(`event[1].name: "${prefix}" event names are reserved`);
  });

  it("lets the app's internal key send wflo's own names", async () => {
    const res = await h.postEvents({ name: "wflo/approval.decided", data: { approvalId: "a-2" } });
    expect(res.status).toBe(200);
    expect(await finishedRunOf(res.body.ids![0]!)).toMatchObject({
      functionId: fnId("decided"),
      output: { approvalId: "a-2" },
    });
  });
});

describe("body rules", () => {
  it.each([
    ["text/plain;charset=UTF-8", "text/plain;charset=UTF-8"],
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded"],
    ["multipart/form-data; boundary=x", "multipart/form-data; boundary=x"],
    [null, "none"],
  ])("refuses a body of type %s with a 415 naming the content type", async (contentType, named) => {
    const res = await refused(JSON.stringify(go), { contentType });
    expect(res.status).toBe(415);
    expect(res.body.error).toContain("application/json");
    expect(res.body.error).toContain(named);
  });

  it("accepts application/json with a charset", async () => {
    expect((await h.postEvents(go, { contentType: "application/json; charset=utf-8" })).status).toBe(200);
  });

  it("refuses a body over the 3 MiB request limit with a 413 that states it", async () => {
    const events = Array.from({ length: 14 }, () => ({ name: "k/go", data: { blob: "q".repeat(250 * 1024) } }));
    const res = await refused(events, {});
    expect(res.status).toBe(413);
    expect(res.body.error).toContain("3 MiB");
  });

  it.each([
    [
      "a NUL byte in data",
      '{"name":"k/go","data":{"note":"a\\u0000b"}}',
      "event.data.note: must not contain a NUL byte",
    ],
    [
      "a lone surrogate in a data value",
      '{"name":"k/go","data":{"who":"x\\ud800"}}',
      "event.data.who: must not contain a lone UTF-16 surrogate",
    ],
    ["a NUL byte in the name", '[{"name":"k/go"},{"name":"k/\\u0000"}]', "event[1].name: must not contain a NUL byte"],
  ])("refuses %s with a 400 naming the field", async (_label, body, why) => {
    const res = await refused(body, {});
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(why);
  });
});
