import { createHash, randomBytes } from "node:crypto";
import { DomainError, fieldError } from "@/server/errors";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { apiKeys, ROLES, users, type ApiKeyRow, type Role } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { roleRank } from "@/server/auth/permissions";
import { workflowOptions } from "@/server/workflows/catalog";
import type { ApiKeyPrincipal } from "@/server/auth/principal";

/** Secrets look like `wflo_<43 base64url chars>`; only their SHA-256 is stored. */
const KEY_PREFIX = "wflo_";
export const hashKey = (secret: string) => createHash("sha256").update(secret).digest("hex");

export const createApiKeyInput = z.object({
  name: z
    .string({ error: "name must be text" })
    .trim()
    .min(1, "name must not be empty")
    .max(100, "name must be at most 100 characters"),
  role: z.enum(ROLES, { error: `role must be one of: ${ROLES.join(", ")}` }),
  /** Registry workflow ids the key is limited to; absent or empty = every workflow. */
  workflowIds: z
    .array(
      z
        .string({ error: "workflowIds must be a list of workflow ids" })
        .trim()
        .min(1, "workflowIds must not contain a blank id")
        .max(200, "workflowIds: an id is at most 200 characters"),
      { error: "workflowIds must be a list of workflow ids" },
    )
    .max(100, "workflowIds may hold at most 100 workflows")
    .optional(),
});

/** Every id must name a workflow this app serves: a typo would otherwise make a key that can do nothing. */
async function checkWorkflowIds(ids: readonly string[]): Promise<string[] | null> {
  if (ids.length === 0) return null;
  const served = (await workflowOptions()).map((w) => w.id);
  const unknown = ids.filter((id) => !served.includes(id));
  if (unknown.length) {
    throw fieldError(
      "bad_request",
      "workflowIds",
      `no workflow named ${unknown.map((u) => `"${u}"`).join(", ")}; this app serves ${served.join(", ")}`,
    );
  }
  return [...new Set(ids)].sort();
}
export const apiKeyIdInput = z.object({ keyId: z.uuid("keyId must be an API key id (a UUID)") });

/** A key works while it is not revoked and its creator is active: a key acts for its creator. */
export type ApiKeyStatus = "active" | "revoked" | "creator deactivated";

export function publicApiKey(k: ApiKeyRow, creatorActive = true) {
  const status: ApiKeyStatus = k.revokedAt ? "revoked" : creatorActive ? "active" : "creator deactivated";
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    role: k.role,
    workflowIds: k.workflowIds,
    createdByEmail: k.createdByEmail,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    revokedAt: k.revokedAt,
    creatorActive,
    status,
  };
}

export async function listApiKeys(db: Database) {
  const rows = await db
    .select({ key: apiKeys, creatorActive: users.active })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdById))
    .orderBy(desc(apiKeys.createdAt));
  // A key whose creator row is gone acts for nobody: shown (and refused) like a deactivated creator's.
  return rows.map((r) => publicApiKey(r.key, r.key.createdById === null || r.creatorActive === true));
}

/** Returns the secret once; nothing can show it again. A key never gets a role above its creator's. */
export async function createApiKey(
  db: Database,
  actor: Actor & { role: Role },
  input: z.output<typeof createApiKeyInput>,
) {
  if (roleRank(input.role) > roleRank(actor.role))
    throw fieldError("forbidden", "role", `you cannot create a key with a role above your own (${actor.role})`);
  const workflowIds = await checkWorkflowIds(input.workflowIds ?? []);
  const secret = KEY_PREFIX + randomBytes(32).toString("base64url");
  return db.transaction(async (tx) => {
    const [k] = await tx
      .insert(apiKeys)
      .values({
        name: input.name,
        prefix: secret.slice(0, KEY_PREFIX.length + 6),
        hash: hashKey(secret),
        role: input.role,
        workflowIds,
        createdById: actor.id,
        createdByEmail: actor.email,
      })
      .returning();
    if (!k) throw new Error("insert returned no row");
    await writeAudit(tx, actor, {
      action: "apikey.create",
      targetType: "api_key",
      targetId: k.id,
      after: { name: k.name, role: k.role, prefix: k.prefix, workflowIds: k.workflowIds },
    });
    return { key: publicApiKey(k), secret };
  });
}

export async function revokeApiKey(db: Database, actor: Actor, keyId: string) {
  return db.transaction(async (tx) => {
    const [k] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
      .returning();
    if (!k) {
      const [exists] = await tx.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.id, keyId));
      throw exists
        ? new DomainError("conflict", "this API key is already revoked")
        : new DomainError("not_found", `no API key with id ${keyId}`);
    }
    await writeAudit(tx, actor, {
      action: "apikey.revoke",
      targetType: "api_key",
      targetId: k.id,
      after: { name: k.name, role: k.role, prefix: k.prefix, workflowIds: k.workflowIds },
    });
    return publicApiKey(k);
  });
}

/** The message for a key whose creator can no longer act: the key stops with them. */
export const creatorDeactivatedMessage = (email: string) =>
  `this API key's creator ${email} is deactivated; a key acts for its creator and stops working with them`;

/**
 * `Authorization: Bearer wflo_...` -> the key's actor, or null for a missing, unknown or
 * revoked key (route handlers answer 401). A key whose creator is deactivated (or gone) is
 * refused with a FORBIDDEN naming why, before anything is recorded. Records the last use.
 */
export async function authenticateApiKey(db: Database, req: Request): Promise<ApiKeyPrincipal | null> {
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m?.[1]?.startsWith(KEY_PREFIX)) return null;
  const [found] = await db
    .select({ key: apiKeys, creatorActive: users.active, creatorRole: users.role })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdById))
    .where(and(eq(apiKeys.hash, hashKey(m[1])), isNull(apiKeys.revokedAt)));
  if (!found) return null;
  if (found.key.createdById !== null && found.creatorActive !== true)
    throw new DomainError("forbidden", creatorDeactivatedMessage(found.key.createdByEmail));
  const [k] = await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(apiKeys.id, found.key.id), isNull(apiKeys.revokedAt)))
    .returning();
  if (!k) return null;
  // Never more than its creator may do today (a creator demoted after creating the key).
  const role = found.creatorRole && roleRank(found.creatorRole) < roleRank(k.role) ? found.creatorRole : k.role;
  return {
    kind: "api_key",
    id: k.id,
    email: `api-key:${k.name} (${k.prefix}…)`,
    role,
    name: k.name,
    workflowIds: k.workflowIds?.length ? k.workflowIds : null,
    createdById: k.createdById,
  };
}
