import { getServerSession } from "next-auth";
import type { SessionUser } from "@/server/api/trpc";
import { getAuthOptions } from "./options";

/**
 * The signed-in user, read fresh from the database on every request by the session callback
 * (server/auth/session-version.ts), so a role change, deactivation or revocation takes effect at
 * once rather than when the cookie expires.
 */
export async function currentUser(): Promise<SessionUser | null> {
  const session = await getServerSession(getAuthOptions());
  const u = session?.user;
  if (!u?.id) return null;
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    ...(u.mustChangePassword && { mustChangePassword: true }),
  };
}
