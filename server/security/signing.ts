import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import canonicalize from "canonicalize";

/**
 * Request signing as the SDK verifies it (helpers/net.js): HMAC-SHA256 over the RFC 8785
 * canonical JSON of the body followed by the unix-seconds timestamp, keyed by the signing key
 * without its "signkey-<env>-" prefix, used as a UTF-8 string.
 */
function keyMaterial(signingKey: string): string {
  return signingKey.replace(/^signkey-[\w]+-/, "");
}

/** The canonical bytes to send: the SDK re-canonicalizes the parsed body before checking. */
export function canonicalBody(body: unknown): string {
  return canonicalize(body) ?? "null";
}

export function signBody(canonical: string, signingKey: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  const s = createHmac("sha256", keyMaterial(signingKey))
    .update(canonical + String(t))
    .digest("hex");
  return `t=${t}&s=${s}`;
}

/** What the SDK sends as `Authorization: Bearer ...` on its REST calls to the server. */
export function hashSigningKey(signingKey: string): string {
  const prefix = /^signkey-[\w]+-/.exec(signingKey)?.[0] ?? "";
  const raw = keyMaterial(signingKey);
  return prefix + createHash("sha256").update(Buffer.from(raw, "hex")).digest("hex");
}

export function bearerMatches(header: string | undefined, signingKey: string): boolean {
  const given = (header ?? "").replace(/^Bearer\s*/i, "");
  const expected = hashSigningKey(signingKey);
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
