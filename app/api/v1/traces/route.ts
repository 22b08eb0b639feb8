import { getDb } from "@/db/client";
import { requestIdOf, withLogContext } from "@/server/log";
import { appMetrics } from "@/server/metrics/metrics";
import { handleOtlpTraces } from "@/server/tracing/otlp/handler";
import { ingestLimiter } from "@/server/tracing/otlp/rate-limit";

export const dynamic = "force-dynamic";

/** OTLP/HTTP trace intake (the collector's /v1/traces), authenticated by a wflo API key. */
export async function POST(req: Request) {
  // Every line logged while handling it carries the request's correlation id.
  return withLogContext({ requestId: requestIdOf(req) }, () =>
    handleOtlpTraces(getDb(), req, { limiter: ingestLimiter(), metrics: appMetrics() }),
  );
}
