import { and, count, eq, gt, inArray, lt } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { signInFailures } from "@/db/schema";
import { env } from "@/server/env";

/** Failed sign-ins allowed in the window, per account and per client address. */
export const SIGN_IN_LIMITS = {
  windowMs: 15 * 60_000,
  perAccount: env.WFLO_SIGNIN_MAX_PER_ACCOUNT,
  perAddress: env.WFLO_SIGNIN_MAX_PER_ADDRESS,
};

export const accountKey = (email: string) => `account:${email.toLowerCase()}`;
export const addressKey = (address: string) => `address:${address}`;

export async function isSignInBlocked(db: DbOrTx, email: string, address: string): Promise<boolean> {
  const since = new Date(Date.now() - SIGN_IN_LIMITS.windowMs);
  const [acct, addr] = await Promise.all(
    [accountKey(email), addressKey(address)].map(async (key) => {
      const [row] = await db
        .select({ n: count() })
        .from(signInFailures)
        .where(and(eq(signInFailures.key, key), gt(signInFailures.at, since)));
      return row?.n ?? 0;
    }),
  );
  return (acct ?? 0) >= SIGN_IN_LIMITS.perAccount || (addr ?? 0) >= SIGN_IN_LIMITS.perAddress;
}

export async function recordSignInFailure(db: DbOrTx, email: string, address: string): Promise<void> {
  await db.insert(signInFailures).values([{ key: accountKey(email) }, { key: addressKey(address) }]);
  await db.delete(signInFailures).where(lt(signInFailures.at, new Date(Date.now() - SIGN_IN_LIMITS.windowMs)));
}

export async function clearAccountFailures(db: DbOrTx, email: string): Promise<void> {
  await db.delete(signInFailures).where(inArray(signInFailures.key, [accountKey(email)]));
}

/** Account-only counting, for password checks made inside a session (the account page): no client address there. */
export async function isAccountBlocked(db: DbOrTx, email: string): Promise<boolean> {
  const since = new Date(Date.now() - SIGN_IN_LIMITS.windowMs);
  const [row] = await db
    .select({ n: count() })
    .from(signInFailures)
    .where(and(eq(signInFailures.key, accountKey(email)), gt(signInFailures.at, since)));
  return (row?.n ?? 0) >= SIGN_IN_LIMITS.perAccount;
}

export async function recordAccountFailure(db: DbOrTx, email: string): Promise<void> {
  await db.insert(signInFailures).values({ key: accountKey(email) });
}
