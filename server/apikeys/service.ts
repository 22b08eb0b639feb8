import { createHash, randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { apiKeys, ROLES, type ApiKeyRow, type Role } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { roleRank } from "@/server/auth/permissions";

/** Secrets look like `wflo_<43 base64url chars>`; only their SHA-256 is stored. */
const KEY_PREFIX = "wflo_";
export const hashKey = (secret: string) => createHash("sha256").update(secret).digest("hex");

export const createApiKeyInput = z.object({
  name: z.string({ error: "name must be text" }).trim().min(1, "name must not be empty").max(100, "name must be at most 100 characters"),
  role: z.enum(ROLES, { error: `role must be one of: ${ROLES.join(", ")}` }),
});
export const apiKeyIdInput = z.object({ keyId: z.uuid("keyId must be an API key id (a UUID)") });

export function publicApiKey(k: ApiKeyRow) {
  return { id: k.id, name: k.name, prefix: k.prefix, role: k.role, createdByEmail: k.createdByEmail, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt };
}

export async function listApiKeys(db: Database) {
  return (await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt))).map(publicApiKey);
}

/** Returns the secret once; nothing can show it again. A key never gets a role above its creator's. */
export async function createApiKey(db: Database, actor: Actor & { role: Role }, input: z.output<typeof createApiKeyInput>) {
  if (roleRank(input.role) > roleRank(actor.role)) throw new TRPCError({ code: "FORBIDDEN", message: `role: you cannot create a key with a role above your own (${actor.role})` });
  const secret = KEY_PREFIX + randomBytes(32).toString("base64url");
  return db.transaction(async (tx) => {
    const [k] = await tx.insert(apiKeys).values({ name: input.name, prefix: secret.slice(0, KEY_PREFIX.length + 6), hash: hashKey(secret), role: input.role, createdById: actor.id, createdByEmail: actor.email }).returning();
    if (!k) throw new Error("insert returned no row");
    await writeAudit(tx, actor, { action: "apikey.create", targetType: "api_key", targetId: k.id, after: { name: k.name, role: k.role, prefix: k.prefix } });
    return { key: publicApiKey(k), secret };
  });
}

export async function revokeApiKey(db: Database, actor: Actor, keyId: string) {
  return db.transaction(async (tx) => {
    const [k] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt))).returning();
    if (!k) {
      const [exists] = await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, keyId));
      throw new TRPCError(exists ? { code: "CONFLICT", message: "this API key is already revoked" } : { code: "NOT_FOUND", message: `no API key with id ${keyId}` });
    }
    await writeAudit(tx, actor, { action: "apikey.revoke", targetType: "api_key", targetId: k.id, after: { name: k.name, role: k.role, prefix: k.prefix } });
    return publicApiKey(k);
  });
}

/** Who a request acts as when it carries an API key: the key's role, and a readable name for the audit log. */
export type ApiKeyActor = { kind: "api_key"; id: string; email: string; role: Role; name: string };

/**
 * `Authorization: Bearer wflo_...` -> the key's actor, or null for a missing, unknown or
 * revoked key. Records the last use. Route handlers answer 401 on null.
 */
export async function authenticateApiKey(db: Database, req: Request): Promise<ApiKeyActor | null> {
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m?.[1] || !m[1].startsWith(KEY_PREFIX)) return null;
  const [k] = await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(and(eq(apiKeys.hash, hashKey(m[1])), isNull(apiKeys.revokedAt))).returning();
  if (!k) return null;
  return { kind: "api_key", id: k.id, email: `api-key:${k.name} (${k.prefix}…)`, role: k.role, name: k.name };
}
