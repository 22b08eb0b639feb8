import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { hashPassword } from "./password";
import { Browser, startAuthServer, type AuthServer } from "./testing/auth-server";

/**
 * Finding 8 (sessions): a session cookie stops working once what it stood for has ended. Real
 * sign-ins through NextAuth's handler over HTTP; "another device" is a second cookie jar, or a
 * copy of the first one's cookie (what a thief holds).
 */
let fresh: FreshDb;
let server: AuthServer;
let admin: SessionUser;
const PASSWORD = "the original long password";

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const [a] = await fresh.db
    .insert(users)
    .values({
      email: "admin@example.com",
      name: "Admin",
      role: "admin",
      passwordHash: await hashPassword("admin long password"),
    })
    .returning();
  admin = { id: a!.id, email: a!.email, name: a!.name, role: "admin" };
  server = await startAuthServer();
});
afterAll(async () => {
  await server?.close();
  await fresh.drop();
});

const as = (user: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user }));

async function newUser(email: string): Promise<SessionUser> {
  const [u] = await fresh.db
    .insert(users)
    .values({ email, name: email, role: "operator", passwordHash: await hashPassword(PASSWORD) })
    .returning();
  return { id: u!.id, email: u!.email, name: u!.name, role: u!.role };
}

async function signedIn(email: string, password = PASSWORD): Promise<Browser> {
  const b = new Browser(server.url);
  expect(await b.signIn(email, password)).toBeNull();
  expect(await b.session()).toMatchObject({ email });
  return b;
}

describe("session cookies made before", () => {
  it("an admin's password reset are refused", async () => {
    const u = await newUser("reset@example.com");
    const laptop = await signedIn(u.email);
    const phone = await signedIn(u.email);
    await as(admin).users.resetPassword({ userId: u.id, password: "set by the admin 123" });
    expect(await laptop.session()).toBeNull();
    expect(await phone.session()).toBeNull();
    // The new password works, in a new session.
    await signedIn(u.email, "set by the admin 123");
  });

  it("a deactivation are refused, and stay refused after reactivation", async () => {
    const u = await newUser("leaver@example.com");
    const b = await signedIn(u.email);
    await as(admin).users.setActive({ userId: u.id, active: false });
    expect(await b.session()).toBeNull();
    await as(admin).users.setActive({ userId: u.id, active: true });
    expect(await b.session()).toBeNull();
  });

  it("the user's own password change are refused (every device)", async () => {
    const u = await newUser("changer@example.com");
    const other = await signedIn(u.email);
    await as(u).account.changePassword({ currentPassword: PASSWORD, newPassword: "my own new password" });
    expect(await other.session()).toBeNull();
    await signedIn(u.email, "my own new password");
  });

  it("'sign out everywhere' are refused", async () => {
    const u = await newUser("everywhere@example.com");
    const a = await signedIn(u.email);
    const b = await signedIn(u.email);
    await as(u).account.signOutEverywhere();
    expect(await a.session()).toBeNull();
    expect(await b.session()).toBeNull();
    const [row] = await fresh.db.select().from(auditLog).where(eq(auditLog.action, "user.sign_out_everywhere"));
    expect(row).toMatchObject({ targetId: u.id, actorId: u.id });
  });

  it("a sign-out are refused, also as a copy taken before it", async () => {
    const u = await newUser("signout@example.com");
    const b = await signedIn(u.email);
    const stolen = b.copy();
    await b.signOut();
    expect(await b.session()).toBeNull();
    expect(await stolen.session()).toBeNull();
  });

  it("none of that touches other users' sessions", async () => {
    const u = await newUser("bystander@example.com");
    const b = await signedIn(u.email);
    const other = await newUser("target@example.com");
    await as(admin).users.resetPassword({ userId: other.id, password: "set by the admin 123" });
    expect(await b.session()).toMatchObject({ email: u.email });
  });
});
