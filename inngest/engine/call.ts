import { parseRetryAfter } from "./backoff";
import { canonicalBody, signBody } from "@/server/security/signing";
import { opsSchema, toSerializedError, type Op, type SerializedError } from "./protocol";

/**
 * One call request to an SDK (protocol §4) and what its answer means (§5). Garbage answers
 * become clear, retriable errors; they never throw.
 */

export type CallOutcome =
  | { type: "complete"; output: unknown }
  | { type: "ops"; ops: Op[]; noRetry: boolean; retryAfterMs: number | null }
  | { type: "fail"; error: SerializedError }
  | { type: "retry"; error: SerializedError; retryAfterMs: number | null };

export type CallRequest = { url: string; body: unknown; signingKey?: string; timeoutMs: number };

export async function callSdk(req: CallRequest): Promise<CallOutcome> {
  const body = req.signingKey ? canonicalBody(req.body) : JSON.stringify(req.body);
  const headers: Record<string, string> = { "content-type": "application/json", "x-inngest-server-kind": "dev" };
  if (req.signingKey) headers["x-inngest-signature"] = signBody(body, req.signingKey);
  let res: Response;
  let text: string;
  try {
    res = await fetch(req.url, { method: "POST", headers, body, signal: AbortSignal.timeout(req.timeoutMs) });
    text = await res.text();
  } catch (e) {
    const why =
      e instanceof Error ? (e.name === "TimeoutError" ? `no answer within ${req.timeoutMs} ms` : e.message) : String(e);
    return {
      type: "retry",
      error: { name: "SdkUnreachable", message: `could not call the SDK at ${req.url}: ${why}` },
      retryAfterMs: null,
    };
  }
  return interpret(res.status, res.headers, text);
}

const snippet = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);

export function interpret(status: number, headers: Headers, text: string): CallOutcome {
  const noRetryHeader = headers.get("x-inngest-no-retry");
  const noRetry = noRetryHeader === "true";
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"), Date.now());
  const parsed = parseJson(text);

  if (status === 201) {
    // Streaming mode: keep-alive spaces, then {status, headers, body}. Unwrap and read that.
    const inner = parsed.ok ? (parsed.value as { status?: unknown; headers?: unknown; body?: unknown }) : null;
    if (inner && typeof inner.status === "number" && typeof inner.body === "string") {
      const h = new Headers();
      if (inner.headers && typeof inner.headers === "object")
        for (const [k, v] of Object.entries(inner.headers)) if (typeof v === "string") h.set(k, v);
      return interpret(inner.status, h, inner.body);
    }
    return garbage(`HTTP 201 (streaming) with an unreadable body ${snippet(text)}`);
  }
  if (status === 200) {
    if (!parsed.ok) return garbage(`HTTP 200 with a body that is not JSON: ${snippet(text)}`);
    return { type: "complete", output: parsed.value };
  }
  if (status === 206) {
    if (!parsed.ok) return garbage(`HTTP 206 with a body that is not JSON: ${snippet(text)}`);
    const ops = opsSchema.safeParse(parsed.value);
    if (!ops.success) return garbage(`HTTP 206 with a body that is not a list of step ops: ${snippet(text)}`);
    return { type: "ops", ops: ops.data, noRetry, retryAfterMs };
  }
  const error = toSerializedError(parsed.ok ? parsed.value : text, `SDK answered HTTP ${status}`);
  if (status === 400 || noRetry) return { type: "fail", error };
  return { type: "retry", error, retryAfterMs };
}

function garbage(what: string): CallOutcome {
  return {
    type: "retry",
    error: { name: "SdkProtocolError", message: `the SDK answered garbage: ${what}` },
    retryAfterMs: null,
  };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
