import { getDb } from "@/db/client";
import { jsonError } from "@/server/apikeys/http";
import { log } from "@/server/log";
import { checkMetricsAccess } from "@/server/metrics/auth";
import { appMetrics } from "@/server/metrics/metrics";

export const dynamic = "force-dynamic";

/** Prometheus scrape endpoint (text exposition format 0.0.4). */
export async function GET(req: Request) {
  const access = checkMetricsAccess(req);
  if (!access.ok) return jsonError(access.status, access.message);
  const metrics = appMetrics();
  try {
    const body = await metrics.scrape(getDb());
    return new Response(body, {
      headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
    });
  } catch (err) {
    log.error({ err }, "metrics scrape failed");
    return jsonError(500, "Internal server error");
  }
}
