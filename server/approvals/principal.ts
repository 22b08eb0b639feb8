import { DomainError } from "@/server/errors";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { apiKeys, users } from "@/db/schema";
import type { Role } from "@/db/schema/auth";
import { creatorDeactivatedMessage } from "@/server/apikeys/service";
import { roleRank } from "@/server/auth/permissions";

/**
 * Who a decision or a request is really by. An API key acts for its creator, so separation of
 * duties ("you cannot approve your own gate") and N-of-M counting ("N distinct approvers")
 * compare creators, never keys: an admin's key is that admin, and two keys of one admin are one
 * approver. Read from the database inside the decide transaction, never from the caller.
 */

/** The person a decider acts for: `id` is the user (for a key, its creator), `apiKeyId` the key that acts. */
export type ActingPerson = { id: string; email: string; role: Role; apiKeyId: string | null };

const forbidden = (message: string) => new DomainError("forbidden", message);
const lower = (a: Role, b: Role): Role => (roleRank(a) <= roleRank(b) ? a : b);

/**
 * A signed-in person: active, with the stored role (not a possibly stale session's). A key: not
 * revoked, its creator active; it decides with its own role but never above its creator's today.
 * A key no user created (createdById null) acts for itself.
 */
export async function deciderPrincipal(
  tx: DbOrTx,
  who: { kind: "user" | "api_key"; id: string; email: string },
): Promise<ActingPerson> {
  if (who.kind === "user") {
    const [u] = await tx.select({ active: users.active, role: users.role }).from(users).where(eq(users.id, who.id));
    if (!u?.active) throw forbidden("your account is deactivated: deactivated users cannot decide approvals");
    return { id: who.id, email: who.email, role: u.role, apiKeyId: null };
  }
  const [k] = await tx
    .select({ key: apiKeys, creator: users })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdById))
    .where(eq(apiKeys.id, who.id));
  if (!k || k.key.revokedAt) throw new DomainError("unauthorized", "this API key is revoked");
  if (k.key.createdById === null) return { id: k.key.id, email: who.email, role: k.key.role, apiKeyId: k.key.id };
  if (!k.creator?.active) throw forbidden(creatorDeactivatedMessage(k.key.createdByEmail));
  return { id: k.creator.id, email: k.creator.email, role: lower(k.key.role, k.creator.role), apiKeyId: k.key.id };
}

/**
 * The person behind an approval's requester: the user who started the run, or for a run or an
 * external request that an API key started, the key's creator. Null when nobody is known.
 */
export async function requesterPrincipal(
  tx: DbOrTx,
  requestedById: string | null,
): Promise<{ id: string; viaApiKey: boolean } | null> {
  if (requestedById === null) return null;
  const [k] = await tx.select({ createdById: apiKeys.createdById }).from(apiKeys).where(eq(apiKeys.id, requestedById));
  if (!k) return { id: requestedById, viaApiKey: false };
  return { id: k.createdById ?? requestedById, viaApiKey: true };
}
