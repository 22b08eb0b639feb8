import { eq } from "drizzle-orm";
import { getServerSession } from "next-auth";
import { getDb } from "@/db/client";
import { users } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { getAuthOptions } from "./options";

/**
 * The signed-in user, read fresh from the database on every request, so a role
 * change or deactivation takes effect at once rather than when the cookie expires.
 */
export async function currentUser(): Promise<SessionUser | null> {
  const session = await getServerSession(getAuthOptions());
  const id = session?.user?.id;
  if (!id) return null;
  const [u] = await getDb().select().from(users).where(eq(users.id, id));
  if (!u || !u.active) return null;
  return { id: u.id, email: u.email, name: u.name, role: u.role };
}
