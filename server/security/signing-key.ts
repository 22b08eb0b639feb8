import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { EVENT_KEY_PREFIX } from "@/server/security/event-key-format";
import { configFrom } from "@/server/env";

/**
 * The one signing key shared by the embedded engine and the Inngest clients that talk to it
 * (the app's client, the SDK's hosts). With it the engine signs every request it makes to a
 * serve handler (`x-inngest-signature`), the SDK refuses unsigned or wrongly signed ones, and
 * the engine's REST/registration API requires the bearer derived from it.
 *
 * WFLO_ENGINE_SIGNING_KEY when set; otherwise a random key generated once and kept in
 * `<WFLO_DATA_DIR or ./.wflo>/engine-signing-key` (mode 0600), so the panel, its engine and
 * scripts pointed at the same data dir agree. Read synchronously: the app's Inngest client is
 * built when inngest/client.ts is imported.
 */
export const SIGNING_KEY_ENV = "WFLO_ENGINE_SIGNING_KEY";
export const SIGNING_KEY_FILE = "engine-signing-key";

/** The format the SDK and the engine expect: the hex part is decoded as bytes for the bearer hash. */
const FORMAT = /^signkey-[A-Za-z0-9]+-(?:[0-9a-fA-F]{2}){16,}$/;

type Env = Record<string, string | undefined>;

export class SigningKeyError extends Error {}

export function isValidSigningKey(key: string): boolean {
  return FORMAT.test(key);
}

export function signingKeyPath(env: Env = process.env): string {
  return path.join(configFrom(env).WFLO_DATA_DIR, SIGNING_KEY_FILE);
}

/**
 * The key. `create: false` (a process that only talks to an engine, like the SDK's hosts) reads
 * the key file and fails, saying what to do, when there is none yet, instead of making a key
 * of its own that the engine would not know.
 */
export function engineSigningKey(env: Env = process.env, { create = true }: { create?: boolean } = {}): string {
  const given = env[SIGNING_KEY_ENV]?.trim();
  if (given) {
    if (!isValidSigningKey(given))
      throw new SigningKeyError(
        `${SIGNING_KEY_ENV} must look like signkey-<env>-<hex> (at least 32 hex digits, e.g. signkey-prod-${"0".repeat(64)}); got a value of ${given.length} characters that does not`,
      );
    return given;
  }
  const file = signingKeyPath(env);
  if (create) return readOrCreate(file);
  const key = readExisting(file);
  if (!key)
    throw new SigningKeyError(
      `no engine signing key at ${file}: start the control panel (npm start) with this data dir first, or set WFLO_DATA_DIR to the panel's .wflo folder, or ${SIGNING_KEY_ENV} to the panel's key`,
    );
  return key;
}

/**
 * The app's own event key for the engine's intake (`POST /e/:key`): an HMAC of the signing key,
 * so it is a secret exactly as strong as that key (never a public constant), and every process
 * that holds the signing key (the panel, its engine, the SDK's hosts, test harnesses) derives
 * the same one without storing a second secret. The engine treats it as its internal sender:
 * the only key that may send wflo's reserved event names. Outside senders get their own keys
 * (event_keys, Settings → Event keys). Rotating the signing key rotates this key with it.
 */
export function deriveEventKey(signingKey: string): string {
  return `${EVENT_KEY_PREFIX}internal-${createHmac("sha256", signingKey).update("wflo engine event key v1").digest("hex")}`;
}

/**
 * Inngest client options for an SDK app on the embedded engine at `baseUrl`: cloud mode with the
 * engine's key. In cloud mode the SDK's serve handler runs nothing without a valid
 * `x-inngest-signature` (dev mode runs any POST from anyone who can reach the port), and the
 * SDK's calls to the engine (sync, checkpoints, run data) carry the bearer the engine requires;
 * its events go to the intake with the key derived from the signing key.
 */
export function engineClientOptions(
  baseUrl: string,
  env: Env = process.env,
): { isDev: false; baseUrl: string; signingKey: string; eventKey: string } {
  const signingKey = engineSigningKey(env);
  return { isDev: false, baseUrl, signingKey, eventKey: deriveEventKey(signingKey) };
}

function readExisting(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const key = text.trim();
  if (!isValidSigningKey(key))
    throw new SigningKeyError(
      `${file} does not hold a signing key of the form signkey-<env>-<hex>: delete it to have a new one generated (then restart everything that uses the engine), or set ${SIGNING_KEY_ENV}`,
    );
  return key;
}

function readOrCreate(file: string): string {
  const existing = readExisting(file);
  if (existing) return existing;
  mkdirSync(path.dirname(file), { recursive: true });
  // Written whole under a temporary name, then hard-linked into place: link() fails if the file
  // exists, so of two processes starting at once exactly one key wins and both read it.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, `signkey-prod-${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(tmp, 0o600); // the umask may have narrowed the mode; never widened, but make it exact
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    unlinkSync(tmp);
  }
  const key = readExisting(file);
  if (!key) throw new SigningKeyError(`could not create ${file}`);
  return key;
}
