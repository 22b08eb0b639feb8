import { DomainError, badRequest, fieldError } from "@/server/errors";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { writeAudit } from "@/server/audit/chain";
import { hashPassword, passwordSchema, verifyPassword } from "@/server/auth/password";
import { clearAccountFailures, isAccountBlocked, recordAccountFailure, SIGN_IN_LIMITS } from "@/server/auth/rate-limit";
import { revokeSessions } from "@/server/auth/session-version";
import { assertCleanText } from "@/server/security/text-input";
import { hidingParameters } from "./hide-parameters";

/** One's own account: change one's password (the current one required), end every session. */

export const changePasswordInput = z
  .object({
    currentPassword: z
      .string()
      .min(1, "currentPassword is required")
      .max(256, "currentPassword must be at most 256 characters"),
    newPassword: passwordSchema,
  })
  .refine((v) => v.newPassword !== v.currentPassword, {
    path: ["newPassword"],
    message: "newPassword must differ from the current password",
  });

/**
 * Verifies the current password (a wrong one counts against the account's sign-in limit, so a
 * borrowed session cannot guess it), stores the new hash, clears must_change_password and ends
 * every session, this one included: the page signs in again with the new password.
 */
export async function changeOwnPassword(
  db: Database,
  actor: SessionUser,
  input: z.output<typeof changePasswordInput>,
): Promise<void> {
  assertCleanText(input, badRequest);
  const [u] = await db.select().from(users).where(eq(users.id, actor.id));
  if (!u) throw new DomainError("not_found", `no user with id ${actor.id}`);
  if (!u.passwordHash)
    throw new DomainError("precondition_failed", "this account signs in through SSO: its password is managed there");
  if (await isAccountBlocked(db, u.email)) {
    throw new DomainError(
      "too_many_requests",
      `too many wrong passwords: try again in ${Math.round(SIGN_IN_LIMITS.windowMs / 60_000)} minutes`,
    );
  }
  if (!(await verifyPassword(u.passwordHash, input.currentPassword))) {
    await recordAccountFailure(db, u.email);
    throw fieldError("bad_request", "currentPassword", "is not your current password");
  }
  const passwordHash = await hashPassword(input.newPassword);
  await hidingParameters(() =>
    db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ passwordHash, mustChangePassword: false, updatedAt: new Date() })
        .where(eq(users.id, u.id));
      await revokeSessions(tx, u.id);
      // That it happened and whether it was forced, never the password or its hash.
      await writeAudit(tx, actor, {
        action: "user.password_change",
        targetType: "user",
        targetId: u.id,
        before: { mustChangePassword: u.mustChangePassword },
      });
    }),
  );
  await clearAccountFailures(db, u.email);
}

/** Ends every session of the acting user, on every device, this one included. */
export async function signOutEverywhere(db: Database, actor: SessionUser): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select({ v: users.sessionVersion }).from(users).where(eq(users.id, actor.id)).for("update");
    if (!row) throw new DomainError("not_found", `no user with id ${actor.id}`);
    await revokeSessions(tx, actor.id);
    await writeAudit(tx, actor, { action: "user.sign_out_everywhere", targetType: "user", targetId: actor.id });
  });
}
