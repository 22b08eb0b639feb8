import type { EngineCore } from "./core";
import { inBandSyncBodySchema } from "./protocol";
import { saveApp, validateFunctions } from "./registry";
import { canonicalBody, signBody } from "@/server/security/signing";
import { describeZodIssues } from "@/server/zod-issues";

/**
 * In-band sync (protocol §3b): one PUT to the app's serve URL; the SDK answers with its
 * functions. If the SDK declines in-band sync it registers out of band through
 * POST /fn/register instead (to whatever server it is configured for).
 */
export type SyncResult = { appId: string | null; functions: string[]; kind: "in_band" | "out_of_band" };

export class SyncError extends Error {}

export async function syncApp(core: EngineCore, url: string): Promise<SyncResult> {
  const payload = { url };
  const body = core.signingKey ? canonicalBody(payload) : JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-inngest-sync-kind": "in_band",
    "x-inngest-server-kind": "dev",
  };
  if (core.signingKey) headers["x-inngest-signature"] = signBody(body, core.signingKey);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: "PUT", headers, body, signal: AbortSignal.timeout(30_000) });
    text = await res.text();
  } catch (e) {
    throw new SyncError(`could not reach the app at ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw new SyncError(`the app at ${url} refused to sync: HTTP ${res.status} ${text.slice(0, 300)}`);
  if (res.headers.get("x-inngest-sync-kind") !== "in_band") return { appId: null, functions: [], kind: "out_of_band" };

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SyncError(`the app at ${url} answered the sync with a body that is not JSON`);
  }
  const parsed = inBandSyncBodySchema.safeParse(raw);
  if (!parsed.success)
    throw new SyncError(
      `the app at ${url} answered the sync with an unexpected shape: ${describeZodIssues(parsed.error).message}`,
    );
  const problems = validateFunctions(parsed.data.functions);
  if (problems.length > 0) throw new SyncError(`cannot sync ${parsed.data.app_id}: ${problems.join("; ")}`);
  await core.sql.begin((tx) =>
    saveApp(tx, {
      appId: parsed.data.app_id,
      url: parsed.data.url,
      sdk: parsed.data.sdk,
      framework: parsed.data.framework,
      functions: parsed.data.functions,
    }),
  );
  core.registry.invalidate();
  core.wake();
  return { appId: parsed.data.app_id, functions: parsed.data.functions.map((f) => f.id), kind: "in_band" };
}
