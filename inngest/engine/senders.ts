import { createHash, timingSafeEqual } from "node:crypto";
import { hashEventKey } from "@/server/security/event-key-format";
import type { Sql, TxSql } from "./db";

/**
 * Who sent events to the intake (`POST /e/:key`), and what that sender may send. The engine
 * knows two kinds of sender and nothing about users: the app's own client, holding the internal
 * key derived from the signing key (server/security/signing-key.ts), and outside senders holding an event key
 * an admin made (a row of event_keys, kept as a SHA-256). Anything else is refused before the
 * body is read, so nothing is stored for it.
 */
export type EventSender = { kind: "internal" } | { kind: "outside"; keyId: string };

export type SenderCheck = { ok: true; sender: EventSender } | { ok: false; message: string };

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time: comparing digests of equal length hides how much of a guess was right. */
function sameKey(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The sender a key stands for. The internal key needs no query (the app's own events are the
 * hot path); an outside key is looked up on every request, so a revoked key stops working the
 * moment its revocation commits.
 */
export async function identifySender(
  sql: Sql,
  internalKey: string | undefined,
  key: string | undefined,
): Promise<SenderCheck> {
  if (!key)
    return {
      ok: false,
      message:
        "an event key is required: send events to /e/<event key> (an admin creates keys in Settings → Event keys)",
    };
  if (internalKey && sameKey(key, internalKey)) return { ok: true, sender: { kind: "internal" } };
  const [row] = await sql<{ id: string; revoked: boolean }[]>`
    select id, revoked_at is not null as revoked from event_keys where hash = ${hashEventKey(key)}`;
  if (!row) return { ok: false, message: "unknown event key: it was never issued by this engine" };
  if (row.revoked) return { ok: false, message: "this event key was revoked; ask an admin for a new one" };
  return { ok: true, sender: { kind: "outside", keyId: row.id } };
}

/**
 * Names only the app itself may send: wflo's own events (approval decisions, rollbacks, the
 * SDK's workflow triggers) and Inngest's. An outside key sending them could decide a gate or
 * start a rollback, so it is refused outright, never filtered.
 */
const RESERVED_PREFIXES = ["wflo/", "wflo-sdk/", "inngest/"] as const;

export function reservedNameProblem(name: string, sender: EventSender): string | null {
  if (sender.kind === "internal") return null;
  const lower = name.toLowerCase();
  const prefix = RESERVED_PREFIXES.find((p) => lower.startsWith(p));
  return prefix ? `"${prefix}" event names are reserved for wflo itself; an event key may not send them` : null;
}

/** Marks the key used, at most once a minute: a busy sender does not rewrite its row per request. */
export async function touchSender(tx: TxSql, sender: EventSender): Promise<void> {
  if (sender.kind !== "outside") return;
  await tx`update event_keys set last_used_at = now()
    where id = ${sender.keyId} and (last_used_at is null or last_used_at < now() - interval '1 minute')`;
}
