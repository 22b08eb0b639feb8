import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, eventKeys, users } from "@/db/schema";
import { fnId, startHarness, type Harness } from "@/inngest/engine/testing/harness";
import { appRouter } from "@/server/api/root";
import { errorOf } from "@/server/api/testing/error-of";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { verifyAuditChain } from "@/server/audit/chain";

/**
 * Settings → Event keys, end to end: an admin creates a key through tRPC, an outside sender uses
 * it at the real engine's intake, the admin revokes it and the very next request is refused.
 * The plain key exists only in the create answer: never in the database or the audit log.
 */
let h: Harness;
let admin: SessionUser;
let operator: SessionUser;

beforeAll(async () => {
  h = await startHarness();
  await h.serveFunctions([
    h.client.createFunction(
      { id: "partner-hook", retries: 0, triggers: [{ event: "partner/ping" }] },
      async ({ event }) => event.data,
    ),
  ]);
  const user = async (email: string, role: SessionUser["role"]): Promise<SessionUser> => {
    const [u] = await h.fresh.db.insert(users).values({ email, name: email, role, passwordHash: "x" }).returning();
    return { id: u!.id, email: u!.email, name: u!.name, role };
  };
  admin = await user("admin@example.com", "admin");
  operator = await user("operator@example.com", "operator");
});
afterAll(async () => h?.close());

const as = (u: SessionUser) => appRouter.createCaller(createInnerContext({ db: h.fresh.db, user: u }));

describe("event keys", () => {
  it("shows the key once and keeps only its hash, auditing the creation", async () => {
    const { key, secret } = await as(admin).eventKeys.create({ name: "  partner-shop  " });
    expect(secret).toMatch(/^wflo-ek-[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({
      name: "partner-shop",
      prefix: secret.slice(0, 12),
      last4: secret.slice(-4),
      createdByEmail: admin.email,
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(key).not.toHaveProperty("hash");

    const stored = await h.fresh.db.select().from(eventKeys).where(eq(eventKeys.id, key.id));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    // The whole database, not just the row: the plain key is nowhere.
    const dump = await h.fresh.sql<{ found: boolean }[]>`
      select exists (select 1 from event_keys k where k::text like ${`%${secret}%`})
        or exists (select 1 from audit_log a where a::text like ${`%${secret}%`}) as found`;
    expect(dump[0]?.found).toBe(false);

    const audit = await h.fresh.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, key.id))
      .orderBy(asc(auditLog.id));
    expect(audit.map((a) => [a.action, a.actorEmail])).toEqual([["event_key.create", admin.email]]);
    expect(JSON.stringify(audit)).not.toContain(stored[0]!.hash);
    expect((await as(admin).eventKeys.list()).map((k) => k.id)).toContain(key.id);
  });

  it("lets an outside sender start a run with it, recorded against the key, until it is revoked", async () => {
    const { key, secret } = await as(admin).eventKeys.create({ name: "relay" });
    const sent = await h.postEvents({ name: "partner/ping", data: { n: 1 } }, { key: secret });
    expect(sent.status).toBe(200);
    const [event] = await h.fresh.sql<
      { event_key_id: string }[]
    >`select event_key_id from engine_events where id = ${sent.body.ids![0]!}`;
    expect(event?.event_key_id).toBe(key.id);
    expect((await h.waitForRun((r) => r.functionId === fnId("partner-hook"))).status).toBe("completed");
    expect((await as(admin).eventKeys.list()).find((k) => k.id === key.id)?.lastUsedAt).toBeInstanceOf(Date);

    const revoked = await as(admin).eventKeys.revoke({ keyId: key.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    const [before] = await h.fresh.sql<
      { n: number }[]
    >`select count(*)::int as n from engine_events where name = 'partner/ping'`;
    const refused = await h.postEvents({ name: "partner/ping", data: { n: 2 } }, { key: secret });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain("revoked");
    const [after] = await h.fresh.sql<
      { n: number }[]
    >`select count(*)::int as n from engine_events where name = 'partner/ping'`;
    expect(after?.n).toBe(before?.n);

    const audit = await h.fresh.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, key.id))
      .orderBy(asc(auditLog.id));
    expect(audit.map((a) => a.action)).toEqual(["event_key.create", "event_key.revoke"]);
    expect(await errorOf(as(admin).eventKeys.revoke({ keyId: key.id }))).toEqual({
      code: "CONFLICT",
      message: "this event key is already revoked",
    });
    expect((await verifyAuditChain(h.fresh.db)).ok).toBe(true);
  });

  it("refuses a blank name, naming the field", async () => {
    const e = await errorOf(as(admin).eventKeys.create({ name: "   " }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain("name must not be empty");
  });

  it("is for admins only", async () => {
    expect((await errorOf(as(operator).eventKeys.create({ name: "mine" }))).code).toBe("FORBIDDEN");
    expect((await errorOf(as(operator).eventKeys.list())).code).toBe("FORBIDDEN");
    expect(await h.fresh.db.select().from(eventKeys).where(eq(eventKeys.name, "mine"))).toEqual([]);
  });
});
