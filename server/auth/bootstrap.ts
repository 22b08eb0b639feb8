import { randomBytes } from "node:crypto";
import { count, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { writeAudit } from "@/server/audit/chain";
import { hidingParameters } from "@/server/users/hide-parameters";
import { createUserInput } from "@/server/users/schemas";
import { hashPassword } from "./password";
import { env } from "@/server/env";
import { describeZodIssues } from "@/server/errors";

const BOOTSTRAP_LOCK = 727_004;
export const SYSTEM_ACTOR = { id: null, email: "system" } as const;

/**
 * On first start with no users, creates the first admin from WFLO_ADMIN_EMAIL /
 * WFLO_ADMIN_PASSWORD, or with a generated password that is printed once. A generated password
 * sits in the console log, so it works for one thing only: signing in to choose a new one
 * (must_change_password; the panel shows nothing else until then).
 * Returns what was created, or null when users already exist.
 */
export async function bootstrapAdmin(db: Database, print: (line: string) => void): Promise<{ email: string } | null> {
  const email = env.WFLO_ADMIN_EMAIL;
  const given = env.WFLO_ADMIN_PASSWORD;
  const password = given ?? randomBytes(12).toString("base64url");
  const input = createUserInput.safeParse({ email, name: "Administrator", role: "admin", password });
  if (!input.success) {
    throw new Error(`WFLO_ADMIN_EMAIL / WFLO_ADMIN_PASSWORD are invalid: ${describeZodIssues(input.error).message}`);
  }
  const passwordHash = await hashPassword(password);
  // A failing insert must not print the hash in the boot log (Drizzle errors list their parameters).
  const created = await hidingParameters(() =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
      const [row] = await tx.select({ n: count() }).from(users);
      if ((row?.n ?? 0) > 0) return null;
      const [u] = await tx
        .insert(users)
        .values({
          email: input.data.email,
          name: "Administrator",
          role: "admin",
          passwordHash,
          mustChangePassword: !given,
        })
        .returning();
      if (!u) throw new Error("insert returned no row");
      await writeAudit(tx, SYSTEM_ACTOR, {
        action: "user.bootstrap_admin",
        targetType: "user",
        targetId: u.id,
        after: { email: u.email, role: u.role },
      });
      return { email: u.email };
    }),
  );
  if (created) {
    print(`Created the first admin: ${created.email}`);
    if (!given) print(`Generated password (shown once; you will choose your own at first sign-in): ${password}`);
  }
  return created;
}
