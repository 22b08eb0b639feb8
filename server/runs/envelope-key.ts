import { createHmac } from "node:crypto";
import { engineSigningKey, signingKeyPath, SIGNING_KEY_ENV } from "@/server/security/signing-key";

/**
 * The secret wflo signs its event envelopes with (server/runs/envelope.ts). Every process that
 * sends a workflow event (the panel, the SDK's hosts) or runs a workflow (the serve route, an
 * SDK host) must resolve the same one, so it comes from a key those processes already share:
 *
 * 1. `WFLO_ENVELOPE_KEY` when set (at least 32 characters): for a real Inngest server, or to
 *    rotate the envelope key on its own.
 * 2. else `INNGEST_SIGNING_KEY` (a real Inngest server: Cloud and self-hosted servers need it),
 * 3. else the embedded engine's signing key (`WFLO_ENGINE_SIGNING_KEY` or the data dir's
 *    `engine-signing-key`, server/security/signing-key.ts). An Inngest dev server with no signing
 *    key also uses that file, generated once into the data dir.
 *
 * The secret is never used as is: the envelope key is HMAC-SHA256(secret, label), so a signature
 * made with it cannot be mistaken for (or help forge) an engine request signature, and the
 * engine key stays usable only for what it was made for.
 */
export const ENVELOPE_KEY_ENV = "WFLO_ENVELOPE_KEY";
/**
 * Secrets the envelope key was derived from before a rotation (comma-separated, any of the three
 * kinds above): envelopes they signed still verify, so runs in flight keep their attribution and
 * budgets; only the current key signs. Drop them once those runs have ended.
 */
export const PREVIOUS_ENVELOPE_KEYS_ENV = "WFLO_ENVELOPE_KEY_PREVIOUS";
const LABEL = "wflo/run-envelope/v1";
const MIN_LENGTH = 32;

type Env = Record<string, string | undefined>;

export class EnvelopeKeyError extends Error {}

/** Which secret the envelope key comes from, for logs and errors (never the secret itself). */
export type EnvelopeKeySource = typeof ENVELOPE_KEY_ENV | "INNGEST_SIGNING_KEY" | "engine signing key";

function secretOf(env: Env): { source: EnvelopeKeySource; secret: string } {
  const given = env[ENVELOPE_KEY_ENV]?.trim();
  if (given) {
    if (given.length < MIN_LENGTH)
      throw new EnvelopeKeyError(
        `${ENVELOPE_KEY_ENV} must be at least ${MIN_LENGTH} characters (a random secret, e.g. openssl rand -hex 32); got ${given.length}`,
      );
    return { source: ENVELOPE_KEY_ENV, secret: given };
  }
  const inngest = env.INNGEST_SIGNING_KEY?.trim();
  if (inngest) return { source: "INNGEST_SIGNING_KEY", secret: inngest };
  // A dev server has no key of its own to share: the data dir's file is made once. The embedded
  // engine's process creates that file at boot; everyone else only reads it, so a script pointed
  // at the wrong data dir fails naming the file instead of signing with a key nobody knows.
  const devServer = Boolean(env.INNGEST_DEV?.trim());
  return {
    source: "engine signing key",
    secret: env[SIGNING_KEY_ENV]?.trim() ? engineSigningKey(env) : keyFile(env, devServer),
  };
}

/** The data dir's key file is read once per process: it changes only with a restart (like the engine's own copy). */
const files = new Map<string, string>();
function keyFile(env: Env, create: boolean): string {
  const file = signingKeyPath(env);
  let secret = files.get(file);
  if (!secret) {
    secret = engineSigningKey(env, { create });
    files.set(file, secret);
  }
  return secret;
}

const cache = new Map<string, Buffer>();

function derive(secret: string): Buffer {
  let key = cache.get(secret);
  if (!key) {
    key = createHmac("sha256", secret).update(LABEL).digest();
    cache.set(secret, key);
  }
  return key;
}

/** The derived envelope key (32 bytes) that signs. Throws EnvelopeKeyError / SigningKeyError when no secret is available. */
export function envelopeKey(env: Env = process.env): Buffer {
  return derive(secretOf(env).secret);
}

/** The keys a signature may verify with: the current one, then those of WFLO_ENVELOPE_KEY_PREVIOUS. */
export function verificationKeys(env: Env = process.env): Buffer[] {
  const previous = (env[PREVIOUS_ENVELOPE_KEYS_ENV] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [envelopeKey(env), ...previous.map(derive)];
}

export function envelopeKeySource(env: Env = process.env): EnvelopeKeySource {
  return secretOf(env).source;
}
