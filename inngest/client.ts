import { Inngest } from "inngest";
import { log } from "@/server/log";
import { WfloMiddleware } from "./middleware";

export type InngestMode = "embedded" | "dev-server" | "cloud/self-hosted";

/** Variables by which an operator points wflo at a real Inngest server (the SDK reads the same ones). */
const REAL_SERVER_VARS = ["INNGEST_BASE_URL", "INNGEST_API_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_DEV", "INNGEST_SIGNING_KEY", "INNGEST_EVENT_KEY"] as const;

const isSet = (name: string) => Boolean(process.env[name]?.trim());

/**
 * Which Inngest server runs wflo's workflows. With none configured, the embedded engine does
 * (it speaks Inngest's protocol on WFLO_ENGINE_PORT); an INNGEST_DEV that is not "0"/"false"
 * means a dev server; any other configuration means Inngest Cloud or a self-hosted server.
 */
export function inngestMode(): InngestMode {
  if (!REAL_SERVER_VARS.some(isSet)) return "embedded";
  const dev = process.env.INNGEST_DEV?.trim().toLowerCase();
  if (dev && dev !== "0" && dev !== "false") return "dev-server";
  return "cloud/self-hosted";
}

/** The embedded engine's origin. An origin only: the SDK joins some paths relatively. */
export function embeddedEngineUrl(): string {
  return `http://127.0.0.1:${process.env.WFLO_ENGINE_PORT ?? 8288}`;
}

/** Where Inngest's REST API (cancel a run, ...) lives, resolved the way the SDK resolves it. */
export function inngestApiBaseUrl(): string {
  const mode = inngestMode();
  if (mode === "embedded") return embeddedEngineUrl();
  const devUrl = process.env.INNGEST_DEV && /^https?:\/\//.test(process.env.INNGEST_DEV) ? process.env.INNGEST_DEV : undefined;
  const explicit = process.env.INNGEST_API_BASE_URL || process.env.INNGEST_BASE_URL || devUrl;
  return (explicit ?? (mode === "dev-server" ? "http://localhost:8288" : "https://api.inngest.com")).replace(/\/+$/, "");
}

export const INNGEST_APP_ID = "wflo";

/**
 * The one Inngest client. Embedded mode needs dev mode explicitly: setting only a base URL
 * leaves the SDK in cloud mode, where it demands signing and event keys. With a real server
 * configured, the SDK's own environment handling applies unchanged.
 */
export const inngest = new Inngest({
  id: INNGEST_APP_ID,
  middleware: [WfloMiddleware],
  // SDK messages (step errors, retries) go to the one logger, not straight to the console.
  logger: log,
  ...(inngestMode() === "embedded" ? { isDev: true, baseUrl: embeddedEngineUrl() } : {}),
});
