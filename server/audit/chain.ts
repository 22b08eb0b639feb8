import { createHash } from "node:crypto";
import { asc, desc, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { auditLog, type AuditRow } from "@/db/schema";

export const GENESIS_HASH = "0".repeat(64);
const AUDIT_CHAIN_LOCK = 727_002;

export type Actor = { id: string | null; email: string };
export type AuditEntry = {
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
};

/** JSON with sorted keys, so a value hashes the same after a round trip through jsonb. */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

type HashedFields = Pick<
  AuditRow,
  "at" | "actorId" | "actorEmail" | "action" | "targetType" | "targetId" | "before" | "after" | "prevHash"
>;

export function rowHash(r: HashedFields): string {
  const body = canonicalJson({
    at: r.at.toISOString(),
    actorId: r.actorId,
    actorEmail: r.actorEmail,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    before: r.before ?? null,
    after: r.after ?? null,
  });
  return createHash("sha256").update(r.prevHash).update("\n").update(body).digest("hex");
}

/** Normalise through JSON so what we hash is exactly what jsonb gives back. */
const toJson = (v: unknown) => (v === undefined ? null : (JSON.parse(JSON.stringify(v)) as unknown));

/**
 * Appends one row. Call it inside the transaction that makes the change, so the
 * change and its record commit together. The advisory lock serialises writers so
 * the chain never forks.
 */
export async function writeAudit(tx: DbOrTx, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const [last] = await tx.select({ hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
  const row = {
    at: new Date(),
    actorId: actor.id,
    actorEmail: actor.email,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    before: toJson(entry.before),
    after: toJson(entry.after),
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  await tx.insert(auditLog).values({ ...row, hash: rowHash(row) });
}

export type ChainVerdict = { ok: true; rows: number } | { ok: false; rows: number; brokenAtId: number; reason: string };

/** Walks the whole chain in id order, in pages, and reports the first row that does not fit. */
export async function verifyAuditChain(db: DbOrTx, pageSize = 1000): Promise<ChainVerdict> {
  let prev = GENESIS_HASH;
  let afterId = 0;
  let rows = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.id} > ${afterId}`)
      .orderBy(asc(auditLog.id))
      .limit(pageSize);
    for (const r of page) {
      rows++;
      if (r.prevHash !== prev)
        return {
          ok: false,
          rows,
          brokenAtId: r.id,
          reason: "previous-hash link does not match (a row was removed or reordered)",
        };
      if (rowHash(r) !== r.hash)
        return {
          ok: false,
          rows,
          brokenAtId: r.id,
          reason: "row content does not match its hash (the row was edited)",
        };
      prev = r.hash;
      afterId = r.id;
    }
    if (page.length < pageSize) return { ok: true, rows };
  }
}
