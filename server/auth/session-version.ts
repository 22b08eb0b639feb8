import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { users } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";

/**
 * Session cookies are JWTs, valid until they expire unless something on the server says
 * otherwise: that something is users.session_version. It is copied into the JWT at sign-in
 * and compared on every request; bumping it ends every session the user has, on every device.
 */

/** What the session JWT carries about its user (set in the jwt callback at sign-in). */
export type SessionClaims = { uid?: string; sv?: number };

/** Ends every session of the user. Call inside the mutation's transaction. */
export async function revokeSessions(db: DbOrTx, userId: string): Promise<void> {
  await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId));
}

/** Sign-out: ends the user's sessions if the one signing out is still current (a stale cookie changes nothing). */
export async function revokeSessionsOf(db: DbOrTx, claims: SessionClaims): Promise<void> {
  if (!claims.uid || typeof claims.sv !== "number") return;
  await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(and(eq(users.id, claims.uid), eq(users.sessionVersion, claims.sv)));
}

/** The user a session JWT stands for, read fresh: null when unknown, deactivated, or revoked since it was issued. */
export async function sessionUserFor(db: DbOrTx, claims: SessionClaims): Promise<SessionUser | null> {
  if (!claims.uid || typeof claims.sv !== "number") return null;
  const [u] = await db.select().from(users).where(eq(users.id, claims.uid));
  if (!u?.active || u.sessionVersion !== claims.sv) return null;
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    ...(u.mustChangePassword && { mustChangePassword: true }),
  };
}
