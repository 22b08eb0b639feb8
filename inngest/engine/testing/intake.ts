import { deriveEventKey, engineSigningKey } from "@/server/security/signing-key";

/**
 * Posting to the engine's intake (`POST /e/:key`) the way an Inngest SDK does: with an event key
 * in the path and an application/json body. For tests that talk to an engine over HTTP (in this
 * process or a child one); by default with the app's internal key, derived from the signing key
 * this process sees (the one a child engine with the same environment uses too).
 */
export type IntakeReply = { status: number; body: { error?: string; ids?: string[]; status?: number } };

/** The internal event key of an engine signed with `signingKey` (default: this environment's key). */
export const internalEventKey = (signingKey: string = engineSigningKey()) => deriveEventKey(signingKey);

/**
 * `body`: a string is sent as is, anything else as JSON. `key`: null = none in the path.
 * `contentType`: null = no header (the bytes are sent without one; a string body given to fetch
 * would otherwise get text/plain).
 */
export async function postToIntake(
  engineUrl: string,
  body: unknown,
  opts: { key?: string | null; contentType?: string | null; headers?: Record<string, string> } = {},
): Promise<IntakeReply> {
  const key = opts.key === undefined ? internalEventKey() : opts.key;
  const contentType = opts.contentType === undefined ? "application/json" : opts.contentType;
  const res = await fetch(`${engineUrl}/e/${key === null ? "" : encodeURIComponent(key)}`, {
    method: "POST",
    headers: { ...(contentType === null ? {} : { "content-type": contentType }), ...opts.headers },
    body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
  });
  return { status: res.status, body: (await res.json()) as IntakeReply["body"] };
}
