import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { errorOf } from "@/server/api/testing/error-of";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { verifyAuditChain } from "@/server/audit/chain";
import { verifyPassword } from "@/server/auth/password";

let fresh: FreshDb;
let admin: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  admin = { id: row!.id, email: row!.email, name: row!.name, role: "admin" };
});
afterAll(async () => fresh.drop());

const as = (user: SessionUser | null) => appRouter.createCaller(createInnerContext({ db: fresh.db, user }));
const auditCount = async () => (await fresh.db.select().from(auditLog)).length;

describe("user administration", () => {
  it("creates a user with a hashed password and an audit row in the same transaction", async () => {
    const before = await auditCount();
    const u = await as(admin).users.create({
      email: "  Alice@Example.com ",
      name: "Alice",
      role: "operator",
      password: "correct horse battery",
    });
    expect(u).toMatchObject({ email: "alice@example.com", role: "operator", active: true });
    expect(u).not.toHaveProperty("passwordHash");
    const [row] = await fresh.db.select().from(users).where(eq(users.id, u.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row!.passwordHash!, "correct horse battery")).toBe(true);
    expect(await auditCount()).toBe(before + 1);
    const [last] = await fresh.db.select().from(auditLog).where(eq(auditLog.targetId, u.id));
    expect(JSON.stringify(last)).not.toContain("correct horse");
  });

  it("refuses a duplicate email (any case) and writes nothing", async () => {
    const before = await auditCount();
    const err = await errorOf(
      as(admin).users.create({ email: "ALICE@example.com", role: "viewer", password: "another long password" }),
    );
    expect(err).toEqual({ code: "CONFLICT", message: "a user with email alice@example.com already exists" });
    expect(await auditCount()).toBe(before);
  });

  it("names the field for weak passwords, bad emails and unknown roles", async () => {
    const caller = as(admin);
    expect(
      await errorOf(caller.users.create({ email: "bob@example.com", role: "viewer", password: "short" })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("password: password must be at least 12 characters"),
    });
    expect(
      await errorOf(caller.users.create({ email: "not-an-email", role: "viewer", password: "long enough password" })),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("email: email must be a valid address"),
    });
    expect(
      await errorOf(
        caller.users.create({
          email: "bob@example.com",
          role: "superuser" as "viewer",
          password: "long enough password",
        }),
      ),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("role: role must be one of: viewer, operator, approver, admin"),
    });
    expect(
      await errorOf(
        caller.users.create({
          email: `${"x".repeat(300)}@example.com`,
          role: "viewer",
          password: "long enough password",
        }),
      ),
    ).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("email"),
    });
    expect((await fresh.db.select().from(users).where(eq(users.email, "bob@example.com"))).length).toBe(0);
  });

  it("refuses callers without a session or without the permission", async () => {
    expect((await errorOf(as(null).users.list())).code).toBe("UNAUTHORIZED");
    expect(
      (
        await errorOf(
          as({ ...admin, role: "approver" }).users.create({
            email: "c@example.com",
            role: "admin",
            password: "long enough password",
          }),
        )
      ).code,
    ).toBe("FORBIDDEN");
  });

  it("never demotes or deactivates the last active admin, even when asked twice at once", async () => {
    const err = await errorOf(as(admin).users.changeRole({ userId: admin.id, role: "viewer" }));
    expect(err).toEqual({
      code: "PRECONDITION_FAILED",
      message: "cannot remove the last active admin: make another user admin first",
    });

    const second = await as(admin).users.create({
      email: "admin2@example.com",
      role: "admin",
      password: "second admin password",
    });
    // Two admins demoting each other at the same moment: exactly one may win.
    const results = await Promise.allSettled([
      as(admin).users.changeRole({ userId: second.id, role: "viewer" }),
      as({ ...second, role: "admin" }).users.changeRole({ userId: admin.id, role: "viewer" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const admins = await fresh.db.select().from(users).where(eq(users.role, "admin"));
    expect(admins.filter((a) => a.active)).toHaveLength(1);
  });

  it("deactivates and reactivates a user, and an admin cannot deactivate themselves", async () => {
    const [remaining] = await fresh.db.select().from(users).where(eq(users.role, "admin"));
    const me: SessionUser = { id: remaining!.id, email: remaining!.email, name: "", role: "admin" };
    const [alice] = await fresh.db.select().from(users).where(eq(users.email, "alice@example.com"));
    expect((await as(me).users.setActive({ userId: alice!.id, active: false })).active).toBe(false);
    expect((await as(me).users.setActive({ userId: alice!.id, active: true })).active).toBe(true);
    expect(await errorOf(as(me).users.setActive({ userId: me.id, active: false }))).toEqual({
      code: "BAD_REQUEST",
      message: "you cannot deactivate your own account",
    });
    expect(
      await errorOf(as(me).users.changeRole({ userId: "00000000-0000-4000-8000-000000000000", role: "viewer" })),
    ).toMatchObject({ code: "NOT_FOUND" });
    expect(await errorOf(as(me).users.changeRole({ userId: "nope", role: "viewer" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "userId: userId must be a UUID",
    });
  });

  it("refuses NUL bytes and lone surrogates with a 400 naming the field, writing nothing (finding 9)", async () => {
    const before = await auditCount();
    const usersBefore = (await fresh.db.select().from(users)).length;
    expect(
      await errorOf(
        as(admin).users.create({
          email: "nul@example.com",
          name: "Mallory\u0000",
          role: "viewer",
          password: "long enough password",
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "name: must not contain a NUL byte",
    });
    expect(
      await errorOf(
        as(admin).users.create({
          email: "sur@example.com",
          name: "x\uD800y",
          role: "viewer",
          password: "long enough password",
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "name: must not contain a lone UTF-16 surrogate",
    });
    expect(
      await errorOf(
        as(admin).users.create({
          email: "pw@example.com",
          name: "P",
          role: "viewer",
          password: "long enough\u0000password",
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "password: must not contain a NUL byte",
    });
    const [alice] = await fresh.db.select().from(users).where(eq(users.email, "alice@example.com"));
    expect(
      await errorOf(as(admin).users.resetPassword({ userId: alice!.id, password: "long enough\uDC00password" })),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "password: must not contain a lone UTF-16 surrogate",
    });
    expect((await fresh.db.select().from(users)).length).toBe(usersBefore);
    expect(await auditCount()).toBe(before);
  });

  it("refuses bad text in the service itself, whatever edge called it", async () => {
    const { createUser } = await import("./service");
    await expect(
      createUser(fresh.db, admin, {
        email: "svc@example.com",
        name: "a\u0000b",
        role: "viewer",
        password: "long enough password",
      }),
    ).rejects.toMatchObject({
      code: "bad_request",
      message: "name: must not contain a NUL byte",
    });
  });

  it("a failing users write never carries the password hash in its error", async () => {
    const { hidingParameters } = await import("./hide-parameters");
    const hash = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdA$aGFzaGhhc2hoYXNo";
    // A real failing insert (PostgreSQL refuses the NUL): Drizzle's own error lists the hash.
    const write = () =>
      fresh.db.insert(users).values({ email: "leak@example.com", name: "a\u0000b", passwordHash: hash });
    const raw = await write().then(
      () => null,
      (e: unknown) => e,
    );
    expect(JSON.stringify(raw, Object.getOwnPropertyNames(raw)) + String(raw)).toContain(hash);
    const hidden = await hidingParameters(write).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(hidden).toBeInstanceOf(Error);
    expect(hidden!.message).toMatch(/^writing the user failed/);
    expect(JSON.stringify(hidden, Object.getOwnPropertyNames(hidden)) + String(hidden?.cause ?? "")).not.toContain(
      "argon2",
    );
  });

  it("an admin reset makes the user choose a new password at next sign-in, and ends their sessions", async () => {
    const [alice] = await fresh.db.select().from(users).where(eq(users.email, "alice@example.com"));
    await as(admin).users.resetPassword({ userId: alice!.id, password: "reset by the admin" });
    const [after] = await fresh.db.select().from(users).where(eq(users.id, alice!.id));
    expect(after).toMatchObject({ mustChangePassword: true, sessionVersion: alice!.sessionVersion + 1 });
    const [audit] = await fresh.db.select().from(auditLog).where(eq(auditLog.action, "user.reset_password"));
    expect(JSON.stringify(audit)).not.toContain("reset by the admin");
    expect(JSON.stringify(audit)).not.toContain("argon2");
  });

  it("keeps the audit chain intact through all of it", async () => {
    expect(await verifyAuditChain(fresh.db)).toMatchObject({ ok: true });
  });
});
