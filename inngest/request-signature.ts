import { timingSafeEqual } from "node:crypto";
import type { Inngest } from "inngest";
import { canonicalBody, signBody } from "@/server/security/signing";

/**
 * Whether a request to a serve handler carries a valid `x-inngest-signature`, checked the way the
 * SDK checks it (HMAC over the canonical body and timestamp, signing key or its fallback, at most
 * 5 minutes old). The SDK checks only inside the request chain, after `wrapRequest` middleware
 * has run, so wflo's middleware asks this before it records anything for a request: a forged
 * call must not mark a run running or store fake step results (an "approved" wait, say).
 * A client that does not verify (dev mode) accepts everything, as the SDK does.
 */
const MAX_AGE_SECONDS = 5 * 60;

export function requestIsAuthentic(
  client: Inngest.Any,
  requestArgs: readonly unknown[],
  body: unknown,
  nowMs = Date.now(),
): boolean {
  if (client.mode !== "cloud") return true;
  const header = signatureHeader(requestArgs);
  if (!header) return false;
  const params = new URLSearchParams(header);
  const t = Number(params.get("t"));
  const s = params.get("s") ?? "";
  if (!Number.isInteger(t) || !s || Math.abs(nowMs / 1000 - t) > MAX_AGE_SECONDS) return false;
  const canonical = canonicalBody(body);
  return [client.signingKey, client.signingKeyFallback].some((key) => {
    if (!key) return false;
    const expected = new URLSearchParams(signBody(canonical, key, t * 1000)).get("s") ?? "";
    return expected.length === s.length && timingSafeEqual(Buffer.from(expected), Buffer.from(s));
  });
}

/**
 * The signature header of the framework's request: a fetch `Request` (inngest/next, whose handler
 * args start with the HTTP method) or a Node `IncomingMessage` (inngest/node).
 */
function signatureHeader(requestArgs: readonly unknown[]): string | undefined {
  const request = requestArgs.find(
    (a): a is { headers: unknown } => typeof a === "object" && a !== null && "headers" in a,
  );
  const headers = request?.headers;
  if (!headers || typeof headers !== "object") return undefined;
  if (typeof (headers as Headers).get === "function")
    return (headers as Headers).get("x-inngest-signature") ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)["x-inngest-signature"];
  return Array.isArray(value) ? value[0] : value;
}
