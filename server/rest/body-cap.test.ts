import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, spans, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createApiKey } from "@/server/apikeys/service";
import { OTLP_BODY_LIMIT, REST_BODY_LIMIT } from "@/server/security/limits";
import { startRestServer, type RestServer } from "./testing/http-server";

/**
 * Issue 13, finding 6: a 30 MB `details` on POST /api/v1/approvals was stored and then served to
 * every queue poll. Every REST body now has a documented cap (413 naming it), read with a
 * streaming cap so the server never holds the whole upload. Real HTTP, real route handlers.
 */

let fresh: FreshDb;
let server: RestServer;
let key: string;

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  key = (
    await createApiKey(fresh.db, { id: row!.id, email: row!.email, role: "admin" }, { name: "bot", role: "admin" })
  ).secret;
  server = await startRestServer();
});
afterAll(async () => {
  await server?.close();
  await fresh?.drop();
});

const headers = () => ({ "content-type": "application/json", authorization: `Bearer ${key}` });

describe("REST body caps", () => {
  it("refuses a 30 MB POST /approvals with 413 naming the limit, and stores nothing", async () => {
    const body = JSON.stringify({
      title: "refund",
      workflow: "refunds",
      details: { blob: "x".repeat(30 * 1024 * 1024) },
    });
    const res = await fetch(`${server.url}/api/v1/approvals`, { method: "POST", headers: headers(), body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: `request body exceeds the limit of ${REST_BODY_LIMIT.bytes} bytes (WFLO_REST_MAX_BYTES)`,
      code: "PAYLOAD_TOO_LARGE",
    });
    expect(await fresh.db.select().from(approvals)).toHaveLength(0);
  });

  it("refuses a streamed body without a Content-Length once it passes the limit", async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(
          new TextEncoder().encode(
            sent === 0 ? '{"title":"refund","workflow":"refunds","details":{"blob":"' : "x".repeat(64 * 1024),
          ),
        );
        if (++sent > 40 * 16) c.close();
      },
    });
    const res = await fetch(`${server.url}/api/v1/approvals`, {
      method: "POST",
      headers: headers(),
      body: stream,
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    // The server answers 413 and closes; depending on timing the client sees the answer or a reset.
    if (res instanceof Response) expect(res.status).toBe(413);
    expect(await fresh.db.select().from(approvals)).toHaveLength(0);
  });

  it("gives span uploads the trace cap, not the REST one, and still refuses beyond it", async () => {
    const big = JSON.stringify({
      spans: [
        {
          traceId: "t-big",
          spanId: "s-1",
          name: "call",
          startTime: 1,
          attributes: { a: "x".repeat(REST_BODY_LIMIT.bytes) },
        },
      ],
    });
    const res = await fetch(`${server.url}/api/v1/spans`, { method: "POST", headers: headers(), body: big });
    // Past the REST cap but within the trace cap: the body is read, and the attribute cap answers instead.
    expect(((await res.json()) as { error: string }).error).toContain("WFLO_OTLP_MAX_ATTRIBUTE_BYTES");
    const huge = JSON.stringify({
      spans: [
        {
          traceId: "t-huge",
          spanId: "s-1",
          name: "call",
          startTime: 1,
          attributes: { a: "x".repeat(OTLP_BODY_LIMIT.bytes) },
        },
      ],
    });
    const r2 = await fetch(`${server.url}/api/v1/spans`, { method: "POST", headers: headers(), body: huge });
    expect(r2.status).toBe(413);
    expect(((await r2.json()) as { error: string }).error).toContain("(WFLO_OTLP_MAX_BYTES)");
    expect(await fresh.db.select().from(spans)).toHaveLength(0);
  });
});

describe("REST is not cookie-authenticated, so a cross-site page gains nothing from the panel's cookie", () => {
  it("refuses a mutation that carries only a session cookie (401), whatever its Origin", async () => {
    const res = await fetch(`${server.url}/api/v1/approvals`, {
      method: "POST",
      headers: {
        "content-type": "text/plain",
        origin: "http://evil.example",
        cookie: "next-auth.session-token=anything; __Secure-next-auth.session-token=anything",
      },
      body: JSON.stringify({ title: "refund", workflow: "refunds" }),
    });
    expect(res.status).toBe(401);
    expect(await fresh.db.select().from(approvals)).toHaveLength(0);
  });
});
