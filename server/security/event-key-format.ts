import { createHash, randomBytes } from "node:crypto";

/**
 * What an event key for the engine's intake (`POST /e/:key`) looks like and how it is kept:
 * `wflo-ek-` + 256 random bits (base64url), stored only as its SHA-256 (a plain hash is enough
 * for a high-entropy secret; nothing to brute-force). A leaf module on purpose (node:crypto
 * only): the admin service creates keys with it and the engine checks them with it, so both
 * sides hash the same way without the engine importing the domain.
 */
export const EVENT_KEY_PREFIX = "wflo-ek-";

export function newEventKey(): string {
  return EVENT_KEY_PREFIX + randomBytes(32).toString("base64url");
}

export function hashEventKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** What a list may show of a key: enough to recognise it, far too little to use it. */
export function eventKeyDisplay(key: string): { prefix: string; last4: string } {
  return { prefix: key.slice(0, EVENT_KEY_PREFIX.length + 4), last4: key.slice(-4) };
}
