import { DomainError, badRequest } from "@/server/errors";
import { and, asc, count, eq, ne, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, Tx } from "@/db/client";
import { users, type Role, type User } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { hashPassword } from "@/server/auth/password";
import { revokeSessions } from "@/server/auth/session-version";
import { assertCleanText } from "@/server/security/text-input";
import { hidingParameters } from "./hide-parameters";
import type { createUserInput } from "./schemas";

const USERS_LOCK = 727_003;

/** What of a user may leave the server or enter the audit log: never the hash. */
export function publicUser(u: User) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt,
    lastSignInAt: u.lastSignInAt,
    sso: u.passwordHash === null,
  };
}
export type PublicUser = ReturnType<typeof publicUser>;
const audited = (u: User) => ({ email: u.email, name: u.name, role: u.role, active: u.active });

export async function listUsers(db: Database): Promise<PublicUser[]> {
  const rows = await db.select().from(users).orderBy(asc(users.createdAt));
  return rows.map(publicUser);
}

export async function createUser(
  db: Database,
  actor: Actor,
  input: z.output<typeof createUserInput>,
): Promise<PublicUser> {
  // Before anything is hashed or written: a NUL byte would fail the insert with the hash in the error.
  assertCleanText(input, badRequest);
  const passwordHash = await hashPassword(input.password);
  return hidingParameters(() =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK})`);
      const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, input.email));
      if (existing) throw new DomainError("conflict", `a user with email ${input.email} already exists`);
      const [created] = await tx
        .insert(users)
        .values({ email: input.email, name: input.name, role: input.role, passwordHash })
        .returning();
      if (!created) throw new Error("insert returned no row");
      await writeAudit(tx, actor, {
        action: "user.create",
        targetType: "user",
        targetId: created.id,
        after: audited(created),
      });
      return publicUser(created);
    }),
  );
}

/** Loads the user under the users lock; every change to roles or activity goes through here so "last admin" checks cannot race. */
async function lockedUser(tx: Tx, userId: string): Promise<User> {
  await tx.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK})`);
  const [u] = await tx.select().from(users).where(eq(users.id, userId));
  if (!u) throw new DomainError("not_found", `no user with id ${userId}`);
  return u;
}

async function assertAnotherActiveAdmin(tx: Tx, userId: string) {
  const [row] = await tx
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.active, true), ne(users.id, userId)));
  if ((row?.n ?? 0) === 0) {
    throw new DomainError("precondition_failed", "cannot remove the last active admin: make another user admin first");
  }
}

export async function changeRole(db: Database, actor: Actor, userId: string, role: Role): Promise<PublicUser> {
  return db.transaction(async (tx) => {
    const before = await lockedUser(tx, userId);
    if (before.role === role) return publicUser(before);
    if (before.role === "admin" && before.active) await assertAnotherActiveAdmin(tx, userId);
    const [after] = await tx.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, userId)).returning();
    if (!after) throw new Error("update returned no row");
    await writeAudit(tx, actor, {
      action: "user.change_role",
      targetType: "user",
      targetId: userId,
      before: audited(before),
      after: audited(after),
    });
    return publicUser(after);
  });
}

export async function setActive(db: Database, actor: Actor, userId: string, active: boolean): Promise<PublicUser> {
  return db.transaction(async (tx) => {
    const before = await lockedUser(tx, userId);
    if (before.active === active) return publicUser(before);
    if (!active && before.role === "admin") await assertAnotherActiveAdmin(tx, userId);
    const [after] = await tx
      .update(users)
      .set({ active, updatedAt: new Date() })
      .where(eq(users.id, userId))
      .returning();
    if (!after) throw new Error("update returned no row");
    // Deactivation ends every session for good: reactivating later does not revive old cookies.
    if (!active) await revokeSessions(tx, userId);
    await writeAudit(tx, actor, {
      action: active ? "user.activate" : "user.deactivate",
      targetType: "user",
      targetId: userId,
      before: audited(before),
      after: audited(after),
    });
    return publicUser(after);
  });
}

/** The admin knows the new password, so the user must choose their own at next sign-in; their sessions end now. */
export async function resetPassword(db: Database, actor: Actor, userId: string, password: string): Promise<void> {
  assertCleanText({ password }, badRequest);
  const passwordHash = await hashPassword(password);
  await hidingParameters(() =>
    db.transaction(async (tx) => {
      const before = await lockedUser(tx, userId);
      await tx
        .update(users)
        .set({ passwordHash, mustChangePassword: true, updatedAt: new Date() })
        .where(eq(users.id, userId));
      await revokeSessions(tx, userId);
      // The audit row says that it happened, never what the password is.
      await writeAudit(tx, actor, {
        action: "user.reset_password",
        targetType: "user",
        targetId: userId,
        before: audited(before),
      });
    }),
  );
}
