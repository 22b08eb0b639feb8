import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { errorOf } from "@/server/api/testing/error-of";
import { createInnerContext, PASSWORD_CHANGE_REQUIRED, type SessionUser } from "@/server/api/trpc";
import { verifyAuditChain } from "@/server/audit/chain";
import { bootstrapAdmin } from "@/server/auth/bootstrap";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import { Browser, startAuthServer, type AuthServer } from "@/server/auth/testing/auth-server";

/** Finding 9: every user changes their own password; a generated first-admin password must be changed at first sign-in. */
let fresh: FreshDb;
let server: AuthServer;

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.close();
  await fresh.drop();
});

const as = (user: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user }));
const row = async (id: string) => (await fresh.db.select().from(users).where(eq(users.id, id)))[0]!;

/** Signs in over HTTP and returns the user as the panel's tRPC context would hold it (from the session). */
async function sessionUser(email: string, password: string): Promise<{ user: SessionUser; browser: Browser }> {
  const browser = new Browser(server.url);
  expect(await browser.signIn(email, password)).toBeNull();
  const s = await browser.session();
  expect(s).not.toBeNull();
  return { user: s as SessionUser, browser };
}

describe("the first admin's generated password", () => {
  it("must be changed at first sign-in: until then every other call is refused with a clear message", async () => {
    const printed: string[] = [];
    await bootstrapAdmin(fresh.db, (l) => printed.push(l));
    const line = printed.find((l) => l.startsWith("Generated password"))!;
    expect(line).not.toMatch(/change it in Settings/);
    expect(line).toMatch(/first sign-in/);
    const generated = line.split(": ").at(-1)!;

    const { user, browser } = await sessionUser("admin@wflo.local", generated);
    expect(user.mustChangePassword).toBe(true);
    expect(await errorOf(as(user).users.list())).toEqual({ code: "FORBIDDEN", message: PASSWORD_CHANGE_REQUIRED });
    expect(await errorOf(as(user).runs.list({}))).toEqual({ code: "FORBIDDEN", message: PASSWORD_CHANGE_REQUIRED });
    // Who am I still answers, so the page can show the change form.
    expect(await as(user).session.me()).toMatchObject({ email: "admin@wflo.local", mustChangePassword: true });

    await as(user).account.changePassword({ currentPassword: generated, newPassword: "the admin's own password" });
    // The session that changed it ended too (the page signs in again); the new one is unrestricted.
    expect(await browser.session()).toBeNull();
    const again = await sessionUser("admin@wflo.local", "the admin's own password");
    expect(again.user.mustChangePassword).toBeUndefined();
    expect(Array.isArray(await as(again.user).users.list())).toBe(true);
  });

  it("is not asked for when the admin's password came from WFLO_ADMIN_PASSWORD", async () => {
    const other = await freshDatabase();
    process.env.WFLO_ADMIN_EMAIL = "ops@example.com";
    process.env.WFLO_ADMIN_PASSWORD = "configured admin password";
    try {
      await bootstrapAdmin(other.db, () => {});
      const [u] = await other.db.select().from(users);
      expect(u!.mustChangePassword).toBe(false);
    } finally {
      delete process.env.WFLO_ADMIN_EMAIL;
      delete process.env.WFLO_ADMIN_PASSWORD;
      await other.drop();
    }
  });
});

describe("changing one's own password", () => {
  let me: SessionUser;
  beforeAll(async () => {
    const [u] = await fresh.db
      .insert(users)
      .values({
        email: "op@example.com",
        name: "Op",
        role: "viewer",
        passwordHash: await hashPassword("my current password"),
      })
      .returning();
    me = { id: u!.id, email: u!.email, name: u!.name, role: "viewer" };
  });

  it("needs the current password, and a wrong one changes nothing", async () => {
    const before = await row(me.id);
    expect(
      await errorOf(
        as(me).account.changePassword({ currentPassword: "not my password", newPassword: "a brand new password" }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "currentPassword: is not your current password",
    });
    const after = await row(me.id);
    expect(after.passwordHash).toBe(before.passwordHash);
    expect(after.sessionVersion).toBe(before.sessionVersion);
    expect(await fresh.db.select().from(auditLog).where(eq(auditLog.action, "user.password_change"))).toHaveLength(1); // the admin's, above
  });

  it("follows the same rules as every password, naming the field", async () => {
    expect(
      await errorOf(as(me).account.changePassword({ currentPassword: "my current password", newPassword: "short" })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: "newPassword: password must be at least 12 characters",
    });
    expect(
      await errorOf(
        as(me).account.changePassword({ currentPassword: "my current password", newPassword: "my current password" }),
      ),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: "newPassword: newPassword must differ from the current password",
    });
  });

  it("is audited (without the password), and works for every role", async () => {
    await as(me).account.changePassword({
      currentPassword: "my current password",
      newPassword: "my next long password",
    });
    const u = await row(me.id);
    expect(await verifyPassword(u.passwordHash!, "my next long password")).toBe(true);
    const audits = await fresh.db.select().from(auditLog).where(eq(auditLog.targetId, me.id));
    expect(audits.map((a) => a.action)).toEqual(["user.password_change"]);
    expect(audits[0]).toMatchObject({ actorId: me.id, actorEmail: me.email });
    expect(JSON.stringify(audits)).not.toMatch(/my next long password|my current password|argon2/);
    expect(await verifyAuditChain(fresh.db)).toMatchObject({ ok: true });
  });

  it("stops guessing: wrong current passwords count against the account's sign-in limit", async () => {
    const results: string[] = [];
    for (let i = 0; i < 7; i++)
      results.push(
        (
          await errorOf(
            as(me).account.changePassword({ currentPassword: `guess ${i}`, newPassword: "whatever new password" }),
          )
        ).code,
      );
    expect(results.slice(0, 5)).toEqual(Array(5).fill("BAD_REQUEST"));
    expect(results.slice(5)).toEqual(["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
  });
});
