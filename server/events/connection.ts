/**
 * How this process reaches the Inngest server that runs wflo's workflows: which server (embedded
 * engine, dev server, Cloud/self-hosted), its URLs, and the keys an Inngest client of this
 * process signs and sends with. Pure configuration, no client: both the serving client with
 * wflo's middlewares (inngest/client.ts) and the services' event-sending client
 * (server/events/client.ts) are built from these helpers, so they always agree.
 */
import { log } from "@/server/log";
import { hashSigningKey } from "@/server/security/signing";
import { deriveEventKey, engineSigningKey } from "@/server/security/signing-key";
import { env } from "@/server/env";

export type InngestMode = "embedded" | "dev-server" | "cloud/self-hosted";

/** Variables by which an operator points wflo at a real Inngest server (the SDK reads the same ones). */
const REAL_SERVER_VARS = [
  "INNGEST_BASE_URL",
  "INNGEST_API_BASE_URL",
  "INNGEST_EVENT_API_BASE_URL",
  "INNGEST_DEV",
  "INNGEST_SIGNING_KEY",
  "INNGEST_EVENT_KEY",
] as const;

const isSet = (name: (typeof REAL_SERVER_VARS)[number]) => env[name] !== undefined;

/**
 * Which Inngest server runs wflo's workflows. With none configured, the embedded engine does
 * (it speaks Inngest's protocol on WFLO_ENGINE_PORT); an INNGEST_DEV that is not "0"/"false"
 * means a dev server; any other configuration means Inngest Cloud or a self-hosted server.
 */
export function inngestMode(): InngestMode {
  if (!REAL_SERVER_VARS.some(isSet)) return "embedded";
  const dev = env.INNGEST_DEV?.toLowerCase();
  if (dev && dev !== "0" && dev !== "false") return "dev-server";
  return "cloud/self-hosted";
}

/** The embedded engine's origin. An origin only: the SDK joins some paths relatively. */
export function embeddedEngineUrl(): string {
  return `http://127.0.0.1:${env.WFLO_ENGINE_PORT}`;
}

/** Where Inngest's REST API (cancel a run, ...) lives, resolved the way the SDK resolves it. */
export function inngestApiBaseUrl(): string {
  const mode = inngestMode();
  if (mode === "embedded") return embeddedEngineUrl();
  const devUrl = env.INNGEST_DEV && /^https?:\/\//.test(env.INNGEST_DEV) ? env.INNGEST_DEV : undefined;
  const explicit = env.INNGEST_API_BASE_URL || env.INNGEST_BASE_URL || devUrl;
  return (explicit ?? (mode === "dev-server" ? "http://localhost:8288" : "https://api.inngest.com")).replace(
    /\/+$/,
    "",
  );
}

let embeddedKey: string | undefined;
/**
 * The embedded engine's signing key, resolved on first use (server/security/signing-key.ts). Only
 * read: the process that runs the engine (boot) creates it, so a script pointed at the wrong
 * data dir fails naming the file instead of inventing a key the engine does not know.
 */
function embeddedSigningKey(): string {
  // The raw environment: the key's resolution (WFLO_ENGINE_SIGNING_KEY, else the data dir's file) is signing-key.ts's.
  embeddedKey ??= engineSigningKey(process.env, { create: false });
  return embeddedKey;
}

/**
 * Client options for the embedded engine: cloud mode against it, so the SDK's serve handler runs
 * nothing without a valid `x-inngest-signature` from the engine (dev mode runs any POST from
 * anyone who can reach the port), and the SDK's calls to the engine (sync, checkpoints, run
 * data) carry the bearer derived from the key, which the engine requires. The key itself comes
 * from `clientSigningKey()` in a getter of the options (see `inngest` below).
 */
export function embeddedEngineOptions(): { isDev: false; baseUrl: string } | Record<never, never> {
  return inngestMode() === "embedded" ? { isDev: false, baseUrl: embeddedEngineUrl() } : {};
}

/**
 * The signing key an Inngest client of this process uses: the embedded engine's, or undefined
 * with a real server (the SDK then reads INNGEST_SIGNING_KEY itself). Meant for a getter in the
 * client's options: the SDK reads the option lazily, so importing a client module (as
 * `next build` does) neither needs nor creates a key.
 */
export function clientSigningKey(): string | undefined {
  return inngestMode() === "embedded" ? embeddedSigningKey() : undefined;
}

let embeddedEventKey: string | undefined;
/**
 * The event key an Inngest client of this process sends with (`POST /e/:key`): on the embedded
 * engine the app's internal key, derived from the signing key (signing-key.ts), or undefined
 * with a real server (the SDK then reads INNGEST_EVENT_KEY). For a getter, like clientSigningKey.
 */
export function clientEventKey(): string | undefined {
  if (inngestMode() !== "embedded") return undefined;
  embeddedEventKey ??= deriveEventKey(embeddedSigningKey());
  return embeddedEventKey;
}

/**
 * Options for the app's serve handler. On the embedded engine every request to it must carry the
 * engine's signature, syncs included: an unsigned PUT would otherwise make the SDK re-register
 * the app at the URL the request claims (its Host header), sending the engine's calls, with
 * their event and step data, elsewhere. The engine syncs in band, signed.
 */
export function serveHandlerOptions(): { enableUnauthedSync?: boolean } {
  return inngestMode() === "embedded" ? { enableUnauthedSync: false } : {};
}

/** The authorization header for wflo's own calls to the Inngest server's REST API (cancel, run reads). */
export function inngestApiHeaders(): Record<string, string> {
  if (inngestMode() === "embedded") return { authorization: `Bearer ${hashSigningKey(embeddedSigningKey())}` };
  // Inngest's REST API takes the signing key itself as the bearer token; local servers ignore it.
  return env.INNGEST_SIGNING_KEY ? { authorization: `Bearer ${env.INNGEST_SIGNING_KEY}` } : {};
}

/** The Inngest app id wflo serves its functions under; every client of this app uses it. */
export const INNGEST_APP_ID = "wflo" as const;

/**
 * The options every Inngest client of this app shares: its id, the one logger, the embedded
 * engine's options and keys (read lazily through getters: importing a client module, as
 * `next build` does, neither needs nor creates a key). With a real server configured, the SDK's
 * own environment handling applies unchanged. `extra` (the serving client's middlewares) is
 * merged here rather than spread over the result, because spreading would read the getters.
 */
export function appClientOptions<const Extra extends object = Record<never, never>>(extra?: Extra) {
  return {
    id: INNGEST_APP_ID,
    // SDK messages (step errors, retries) go to the one logger, not straight to the console.
    logger: log,
    ...embeddedEngineOptions(),
    ...(extra as Extra),
    get signingKey() {
      return clientSigningKey();
    },
    get eventKey() {
      return clientEventKey();
    },
  };
}
