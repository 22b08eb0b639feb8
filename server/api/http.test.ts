import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { eq } from "drizzle-orm";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import type { AppRouter } from "@/server/api/root";
import type { SessionUser } from "@/server/api/trpc";
import { TRPC_BODY_LIMIT } from "@/server/security/limits";
import { startTrpcServer, type TrpcServer } from "./testing/trpc-http-server";

/**
 * The tRPC endpoint over real HTTP, as a browser reaches it: the session cookie is attached to
 * every request to the panel whoever's page sent it, so mutations must prove they came from the
 * panel (CSRF), and no body may be larger than the documented cap (413, read no further).
 */

let fresh: FreshDb;
let admin: SessionUser;
let server: TrpcServer;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  admin = { id: row!.id, email: row!.email, name: row!.name, role: "admin" };
  server = await startTrpcServer(fresh.db, () => admin);
});
afterAll(async () => {
  await server?.close();
  await fresh?.drop();
});

const userNamed = async (email: string) => fresh.db.select().from(users).where(eq(users.email, email));
const createInput = (email: string, name = "Mallory") => ({
  json: { email, name, role: "admin", password: "a long enough password" },
});

async function post(
  path: string,
  body: BodyInit,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/api/trpc/${path}`, { method: "POST", body, headers });
  return { status: res.status, text: await res.text() };
}

describe("CSRF: tRPC mutations come only from the panel's own pages", () => {
  it("accepts a same-origin JSON mutation", async () => {
    const r = await post("users.create", JSON.stringify(createInput("ok@example.com", "Okay")), {
      "content-type": "application/json",
      origin: server.url,
    });
    expect(r.status).toBe(200);
    expect(await userNamed("ok@example.com")).toHaveLength(1);
  });

  it("accepts a same-origin JSON mutation a browser marks Sec-Fetch-Site: same-origin without an Origin", async () => {
    const r = await post("users.create", JSON.stringify(createInput("ok2@example.com", "Okay")), {
      "content-type": "application/json",
      "sec-fetch-site": "same-origin",
    });
    expect(r.status).toBe(200);
  });

  it("refuses JSON from another origin with 403 naming the origin, and writes nothing", async () => {
    const r = await post("users.create", JSON.stringify(createInput("evil1@example.com")), {
      "content-type": "application/json",
      origin: "http://evil.example",
    });
    expect(r.status).toBe(403);
    expect(r.text).toContain("Origin http://evil.example is not this panel's origin");
    expect(await userNamed("evil1@example.com")).toHaveLength(0);
  });

  it("refuses a cross-site form POST (urlencoded, multipart, text/plain) with 403 naming the content type", async () => {
    const form = new FormData();
    form.set("json", JSON.stringify(createInput("evil2@example.com").json));
    for (const [body, type] of [
      [new URLSearchParams({ email: "evil2@example.com" }).toString(), "application/x-www-form-urlencoded"],
      [form, undefined],
      [JSON.stringify(createInput("evil2@example.com")), "text/plain;charset=UTF-8"],
    ] as const) {
      const headers: Record<string, string> = { origin: "http://evil.example", "sec-fetch-site": "cross-site" };
      if (type) headers["content-type"] = type;
      const r = await post("users.create", body, headers);
      expect(r.status, `${type ?? "multipart"}`).toBe(403);
      expect(r.text).toContain("must be sent as Content-Type: application/json");
    }
    // A form needs no input to do harm: a mutation without one is refused the same way.
    const r = await post("governance.notifications.deliverNow", new FormData(), { origin: "http://evil.example" });
    expect(r.status).toBe(403);
    expect(await userNamed("evil2@example.com")).toHaveLength(0);
  });

  it("refuses a mutation that carries neither Origin nor Sec-Fetch-Site, or a cross-site Sec-Fetch-Site", async () => {
    expect(
      (
        await post("users.create", JSON.stringify(createInput("evil3@example.com")), {
          "content-type": "application/json",
        })
      ).status,
    ).toBe(403);
    const r = await post("users.create", JSON.stringify(createInput("evil3@example.com")), {
      "content-type": "application/json",
      "sec-fetch-site": "cross-site",
    });
    expect(r.status).toBe(403);
    expect(r.text).toContain("Sec-Fetch-Site is cross-site");
    expect(await userNamed("evil3@example.com")).toHaveLength(0);
  });

  it("answers a refusal in tRPC's own error shape, so the panel's client shows why (batched, as the panel sends)", async () => {
    // Node's fetch sends no Origin: to the panel this is a request from nowhere it knows.
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${server.url}/api/trpc`, transformer: superjson })],
    });
    const err = await client.users.create
      .mutate({ email: "evil4@example.com", name: "x", role: "viewer", password: "a long enough password" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).message).toBe(
      "cross-site request refused: a mutation must carry a same-origin Origin or Sec-Fetch-Site header",
    );
    expect((err as TRPCClientError<AppRouter>).data?.httpStatus).toBe(403);
    // The panel's own page (same origin) gets through the same client.
    const ok = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({ url: `${server.url}/api/trpc`, transformer: superjson, headers: { origin: server.url } }),
      ],
    });
    await expect(
      ok.users.create.mutate({
        email: "ok3@example.com",
        name: "x",
        role: "viewer",
        password: "a long enough password",
      }),
    ).resolves.toMatchObject({ email: "ok3@example.com" });
  });

  it("leaves queries (GET) as they are", async () => {
    const res = await fetch(`${server.url}/api/trpc/users.list`);
    expect(res.status).toBe(200);
  });
});

describe("body cap: a tRPC body over the limit is refused with 413 naming it", () => {
  it("refuses a 30 MB body without storing anything", async () => {
    const huge = JSON.stringify(createInput("huge@example.com", "x".repeat(30 * 1024 * 1024)));
    const r = await post("users.create", huge, { "content-type": "application/json", origin: server.url });
    expect(r.status).toBe(413);
    expect(r.text).toContain(`${TRPC_BODY_LIMIT.bytes} bytes (WFLO_TRPC_MAX_BYTES)`);
    expect(await userNamed("huge@example.com")).toHaveLength(0);
  });

  it("refuses a streamed body without a Content-Length once it passes the limit", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        // Head, then filler inside the name string, for ever: only the cap can end it.
        if (sent === 0)
          c.enqueue(
            new TextEncoder().encode(
              '{"json":{"email":"stream@example.com","role":"admin","password":"a long enough password","name":"',
            ),
          );
        else c.enqueue(chunk);
        sent++;
        if (sent > 40 * 16) c.close();
      },
    });
    const res = await fetch(`${server.url}/api/trpc/users.create`, {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json", origin: server.url },
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    // The server answers 413 and closes; depending on timing the client sees the answer or a reset.
    if (res instanceof Response) expect(res.status).toBe(413);
    expect(await userNamed("stream@example.com")).toHaveLength(0);
  });
});
