import { DomainError } from "@/server/errors";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { eventKeys, type EventKeyRow } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { eventKeyDisplay, hashEventKey, newEventKey } from "@/server/security/event-key-format";

/**
 * Event keys: what an outside sender (another Inngest app, a webhook relay) puts in the engine's
 * intake path, `POST /e/<key>`. Admins create and revoke them; the key is shown once and only
 * its SHA-256 is stored. The engine checks keys on every request (inngest/engine/senders.ts),
 * so a revocation takes effect with its commit. Such a key may send any event except wflo's and
 * Inngest's reserved names; runs it starts are attributed to it, never to a user.
 */
export const createEventKeyInput = z.object({
  // NUL bytes and lone surrogates are refused for every procedure's input (server/api/trpc.ts).
  name: z
    .string({ error: "name must be text" })
    .trim()
    .min(1, "name must not be empty")
    .max(100, "name must be at most 100 characters"),
});
export const eventKeyIdInput = z.object({ keyId: z.uuid("keyId must be an event key id (a UUID)") });

export function publicEventKey(k: EventKeyRow) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    last4: k.last4,
    createdByEmail: k.createdByEmail,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
  };
}
export type PublicEventKey = ReturnType<typeof publicEventKey>;

/** What the audit log keeps of a key: never the key, nor its hash. */
const audited = (k: EventKeyRow) => ({ name: k.name, prefix: k.prefix, last4: k.last4 });

export async function listEventKeys(db: Database): Promise<PublicEventKey[]> {
  return (await db.select().from(eventKeys).orderBy(desc(eventKeys.createdAt))).map(publicEventKey);
}

/** Returns the key once; nothing can show it again. */
export async function createEventKey(
  db: Database,
  actor: Actor,
  input: z.output<typeof createEventKeyInput>,
): Promise<{ key: PublicEventKey; secret: string }> {
  const secret = newEventKey();
  return db.transaction(async (tx) => {
    const [k] = await tx
      .insert(eventKeys)
      .values({
        name: input.name,
        ...eventKeyDisplay(secret),
        hash: hashEventKey(secret),
        createdById: actor.id,
        createdByEmail: actor.email,
      })
      .returning();
    if (!k) throw new Error("insert returned no row");
    await writeAudit(tx, actor, {
      action: "event_key.create",
      targetType: "event_key",
      targetId: k.id,
      after: audited(k),
    });
    return { key: publicEventKey(k), secret };
  });
}

export async function revokeEventKey(db: Database, actor: Actor, keyId: string): Promise<PublicEventKey> {
  return db.transaction(async (tx) => {
    const [k] = await tx
      .update(eventKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(eventKeys.id, keyId), isNull(eventKeys.revokedAt)))
      .returning();
    if (!k) {
      const [exists] = await tx.select({ id: eventKeys.id }).from(eventKeys).where(eq(eventKeys.id, keyId));
      throw exists
        ? new DomainError("conflict", "this event key is already revoked")
        : new DomainError("not_found", `no event key with id ${keyId}`);
    }
    await writeAudit(tx, actor, {
      action: "event_key.revoke",
      targetType: "event_key",
      targetId: k.id,
      after: audited(k),
    });
    return publicEventKey(k);
  });
}
