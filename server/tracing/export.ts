import { createHash } from "node:crypto";
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { and, asc, gt, isNotNull, ne } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runs } from "@/db/schema";
import { log } from "@/server/log";
import { redact } from "./redact";
import { getTrace } from "./trace";
import type { Trace, TraceSpan } from "./types";
import { env } from "@/server/env";

/**
 * OTLP export of finished runs' traces (when OTEL_EXPORTER_OTLP_ENDPOINT is set), built from
 * the same redacted read model the explorer shows, so nothing reaches a collector that the UI
 * would hide. LLM spans follow the OpenTelemetry GenAI semantic conventions (gen_ai.*).
 * Runs that came in over OTLP are not sent back out.
 */

const hex = (s: string, len: number) =>
  new RegExp(`^[0-9a-f]{${len}}$`).test(s) ? s : createHash("sha256").update(s).digest("hex").slice(0, len);
const hr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

function genAiAttributes(s: TraceSpan): Record<string, string | number | boolean> {
  if (!s.llm) return {};
  const a: Record<string, string | number | boolean> = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": s.llm.provider,
    "gen_ai.request.model": s.llm.model,
    "gen_ai.response.model": s.llm.model,
    "gen_ai.usage.input_tokens": s.llm.inputTokens,
    "gen_ai.usage.output_tokens": s.llm.outputTokens,
  };
  if (s.llm.request !== null) a["gen_ai.input.messages"] = JSON.stringify(redact(s.llm.request));
  if (s.llm.response !== null) a["gen_ai.output.messages"] = JSON.stringify(redact(s.llm.response));
  if (s.llm.costNano !== null) a["wflo.cost_usd"] = Number(s.llm.costNano) / 1e9;
  return a;
}

/** The trace as OpenTelemetry ReadableSpans: trace id from the run id, span ids derived from wflo's span ids. */
export function toReadableSpans(trace: Trace): ReadableSpan[] {
  const traceId = hex(trace.traceId.toLowerCase(), 32);
  const spanIdOf = (id: string) => hex(`${trace.traceId}/${id}`, 16);
  const resource = resourceFromAttributes({ "service.name": "wflo", "wflo.workflow": trace.workflowId ?? "" });
  return trace.spans
    .filter((s) => s.endMs !== null)
    .map((s): ReadableSpan => {
      const attributes: Record<string, string | number | boolean> = {
        "wflo.run.id": trace.runId,
        "wflo.span.id": s.id,
        "wflo.span.kind": s.kind,
      };
      for (const [k, v] of Object.entries(redact(s.attributes))) if (v !== null) attributes[k] = v;
      Object.assign(attributes, genAiAttributes(s));
      const end = s.endMs ?? s.startMs;
      return {
        name: s.llm ? `chat ${s.llm.model}` : s.name,
        kind: s.llm ? SpanKind.CLIENT : SpanKind.INTERNAL,
        spanContext: () => ({ traceId, spanId: spanIdOf(s.id), traceFlags: TraceFlags.SAMPLED }),
        parentSpanContext: s.parentId
          ? { traceId, spanId: spanIdOf(s.parentId), traceFlags: TraceFlags.SAMPLED }
          : undefined,
        startTime: hr(s.startMs),
        endTime: hr(end),
        duration: hr(end - s.startMs),
        ended: true,
        status:
          s.status === "error"
            ? { code: SpanStatusCode.ERROR, message: s.error ? redact(s.error.message) : undefined }
            : { code: s.status === "ok" ? SpanStatusCode.OK : SpanStatusCode.UNSET },
        attributes,
        links: [],
        events: s.error
          ? [
              {
                name: "exception",
                time: hr(end),
                attributes: {
                  "exception.type": s.error.name,
                  "exception.message": redact(s.error.message),
                  ...(s.error.stack ? { "exception.stacktrace": redact(s.error.stack) } : {}),
                },
              },
            ]
          : [],
        resource,
        instrumentationScope: { name: "wflo" },
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      };
    });
}

export async function exportTrace(exporter: SpanExporter, trace: Trace): Promise<void> {
  const spans = toReadableSpans(trace);
  if (spans.length === 0) return;
  await new Promise<void>((resolve, reject) =>
    // ExportResultCode.SUCCESS is 0 (@opentelemetry/core), compared directly to keep one dependency fewer.
    exporter.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error ?? new Error("OTLP export failed")))),
  );
}

/**
 * Exports runs that finished after `since`, oldest first; returns the new watermark. The caller
 * (a periodic task) keeps the watermark; a failed export is retried on the next tick.
 */
export async function exportFinishedRuns(db: Database, exporter: SpanExporter, since: Date, limit = 50): Promise<Date> {
  const done = await db
    .select({ id: runs.id, endedAt: runs.endedAt })
    .from(runs)
    .where(and(isNotNull(runs.endedAt), gt(runs.endedAt, since), ne(runs.eventName, "otlp/trace")))
    .orderBy(asc(runs.endedAt))
    .limit(limit);
  let mark = since;
  for (const r of done) {
    const trace = await getTrace(db, r.id);
    if (trace) await exportTrace(exporter, trace);
    if (r.endedAt && r.endedAt > mark) mark = r.endedAt;
  }
  return mark;
}

/**
 * Starts the periodic export when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the
 * standard OTEL_EXPORTER_OTLP_* variables itself: endpoint, headers, timeout). Returns a stop function.
 */
export function startTraceExport(db: Database, intervalMs = 10_000): (() => void) | null {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return null;
  const exporter = new OTLPTraceExporter();
  let mark = new Date();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    exportFinishedRuns(db, exporter, mark)
      .then((m) => {
        mark = m;
      })
      .catch((err: unknown) => log.warn({ err }, "OTLP trace export failed; retrying next tick"))
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    void exporter.shutdown();
  };
}
