import { inArray } from "drizzle-orm";
import { z } from "zod";
import { runs } from "@/db/schema";
import { assertCallInScope } from "@/server/apikeys/scope";
import type { AnyValue, ExportTraceRequest, KeyValue, OtlpSpan } from "@/server/tracing/otlp/decode";
import { AttributeTooLargeError, ingest, MAX_ATTRIBUTE_BYTES } from "@/server/tracing/otlp/ingest";
import { ingestLimiter } from "@/server/tracing/otlp/rate-limit";
import { OTLP_BODY_LIMIT } from "@/server/security/limits";
import { RestError } from "../errors";
import { defineRoute } from "../route";

/**
 * POST /api/v1/spans: spans in a small JSON shape, for agents that do not use OpenTelemetry.
 * They become the OTLP request they stand for and go through the very same ingest (redaction,
 * size caps, GenAI pricing into llm_calls, one transaction, duplicates ignored), so a span sent
 * here and one sent to /api/v1/traces are stored and shown alike.
 */

/** Spans per request: larger batches belong on the OTLP endpoint, which streams and size-checks the body. */
export const MAX_SPANS = 1000;

const id = (field: string, what: string) =>
  z
    .string({ error: `${field} must be text` })
    .trim()
    .min(1, `${field} must not be blank`)
    .max(128, `${field} must be at most 128 characters`)
    .regex(/^[\w.:-]+$/, `${field} must be ${what} (letters, digits, _ . : -)`);

/** ISO 8601 with offset, or milliseconds since the epoch. Kept as nanoseconds, as OTLP does. */
const time = (field: string) => {
  const error = `${field} must be an ISO 8601 date-time (2026-01-31T12:00:00.123Z) or milliseconds since the epoch`;
  return z
    .union([z.iso.datetime({ offset: true, error }), z.number({ error }).int(error).nonnegative(error)], { error })
    .transform((v) => BigInt(typeof v === "number" ? v : Date.parse(v)) * 1_000_000n);
};

const KINDS = ["llm", "tool", "step", "span"] as const;
/** How ingest recognises a kind when the attributes do not already say it (gen_ai.operation.name). */
const OPERATION_OF_KIND: Record<(typeof KINDS)[number], string | null> = {
  llm: "chat",
  tool: "execute_tool",
  step: "invoke_agent",
  span: null,
};

export const spanInput = z
  .object({
    runId: id("runId", "a wflo run id")
      .optional()
      .describe("A wflo run id: the span is shown in that run's trace. Give this or traceId"),
    traceId: id("traceId", "a trace id")
      .optional()
      .describe("Your own trace id: wflo shows the trace as a run of its own (run id = trace id). Give this or runId"),
    spanId: id("spanId", "a span id").describe("Unique within the trace; a span sent twice is stored once"),
    parentSpanId: id("parentSpanId", "a span id")
      .nullish()
      .describe("The parent span, if any; without one the span hangs under the run"),
    name: z
      .string({ error: "name must be text" })
      .trim()
      .min(1, "name must not be blank")
      .max(1000, "name must be at most 1000 characters"),
    kind: z
      .enum(KINDS, { error: `kind must be one of: ${KINDS.join(", ")}` })
      .optional()
      .describe("Default: from the attributes (gen_ai.* makes it llm or tool), else span"),
    startTime: time("startTime"),
    endTime: time("endTime").optional(),
    attributes: z
      .record(z.string().max(256, "attributes: a key is at most 256 characters"), z.unknown(), {
        error: "attributes must be a JSON object",
      })
      .default({})
      .describe(
        'OpenTelemetry-style attributes. GenAI usage as in the semantic conventions: "gen_ai.request.model", "gen_ai.provider.name", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.input.messages", "gen_ai.output.messages"',
      ),
    status: z.enum(["ok", "error", "unset"], { error: "status must be ok, error or unset" }).default("unset"),
    error: z
      .object(
        {
          name: z.string().max(200).optional(),
          message: z
            .string({ error: "error.message must be text" })
            .max(8000, "error.message must be at most 8000 characters"),
          stack: z.string().max(32_000).optional(),
        },
        { error: "error must be an object: { name?, message, stack? }" },
      )
      .optional()
      .describe("The exception, when status is error"),
  })
  .refine((s) => Boolean(s.runId) !== Boolean(s.traceId), {
    message: "give exactly one of runId (a wflo run) or traceId (your own trace)",
    path: ["runId"],
  })
  .refine((s) => s.endTime === undefined || s.endTime >= s.startTime, {
    message: "endTime must not be before startTime",
    path: ["endTime"],
  });

export const spansBody = z.object({
  workflow: z
    .string({ error: "workflow must be text" })
    .trim()
    .min(1, "workflow must not be blank")
    .max(200, "workflow must be at most 200 characters")
    .optional()
    .describe(
      "The workflow or agent label of new traces (as OTLP's service.name); a workflow-scoped key must give one of its workflows. Spans of a wflo run take that run's workflow",
    ),
  spans: z
    .array(spanInput, { error: "spans must be a list of spans" })
    .min(1, "spans must hold at least one span")
    .max(
      MAX_SPANS,
      `spans may hold at most ${MAX_SPANS} spans per request (send more in several requests, or use /api/v1/traces)`,
    ),
});
type SpanIn = z.output<typeof spanInput>;

/** A plain JSON value as an OTLP AnyValue (what ingest reads back with `plain`). */
function anyValue(v: unknown): AnyValue {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  if (v && typeof v === "object") return { kvlistValue: { values: keyValues(v as Record<string, unknown>) } };
  return {};
}
const keyValues = (o: Record<string, unknown>): KeyValue[] =>
  Object.entries(o).map(([key, v]) => ({ key, value: anyValue(v) }));

function otlpSpan(s: SpanIn): OtlpSpan {
  const attrs = { ...s.attributes };
  const op = s.kind ? OPERATION_OF_KIND[s.kind] : null;
  if (op && attrs["gen_ai.operation.name"] === undefined) attrs["gen_ai.operation.name"] = op;
  return {
    traceId: (s.runId ?? s.traceId) as string,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? null,
    name: s.name,
    startTimeUnixNano: s.startTime,
    endTimeUnixNano: s.endTime,
    attributes: keyValues(attrs),
    events: s.error
      ? [
          {
            name: "exception",
            attributes: keyValues({
              "exception.type": s.error.name ?? "Error",
              "exception.message": s.error.message,
              ...(s.error.stack && { "exception.stacktrace": s.error.stack }),
            }),
          },
        ]
      : undefined,
    status: { code: s.status === "ok" ? 1 : s.status === "error" ? 2 : 0, message: s.error?.message },
  };
}

export const ingestSpansRoute = defineRoute({
  method: "POST",
  path: "/spans",
  operationId: "ingestSpans",
  tag: "Traces",
  summary: "Record spans from an agent that does not use OpenTelemetry",
  description: `Up to ${MAX_SPANS} spans in plain JSON, stored exactly as OTLP spans sent to /api/v1/traces are: attributes redacted (secrets never stored), large values capped (one attribute over 64 KiB refuses the request with 413), GenAI spans priced from wflo's price book and recorded as LLM calls. A span naming \`runId\` shows in that wflo run's trace (hanging under its parent, else under the run); a span naming \`traceId\` makes its trace a run of its own. The whole request is stored or nothing is; a span already stored is left unchanged (retries are safe). Rate-limited per key with the OTLP limit (429).`,
  permission: "runs:trigger",
  body: spansBody,
  // A batch of spans is a trace upload: the same cap as /api/v1/traces.
  bodyLimit: OTLP_BODY_LIMIT,
  status: 201,
  response: {
    description: "What was stored",
    schema: z.object({
      accepted: z.number(),
      duplicates: z.number(),
      runs: z.array(z.string()),
      llmCalls: z.number(),
      unknownParents: z.number(),
    }),
  },
  errors: {
    404: "A runId names no wflo run",
    413: `The body exceeds ${OTLP_BODY_LIMIT.bytes} bytes (${OTLP_BODY_LIMIT.env}), or one attribute exceeds ${MAX_ATTRIBUTE_BYTES} bytes (WFLO_OTLP_MAX_ATTRIBUTE_BYTES)`,
  },
  handler: async ({ db, actor, body }) => {
    // Spans that name a wflo run must name one that exists (a typo would start a stray trace),
    // and take that run's workflow; the rest are labelled with `workflow`.
    const runIds = [...new Set(body.spans.flatMap((s) => (s.runId ? [s.runId] : [])))];
    const known = new Map(
      (runIds.length
        ? await db.select({ id: runs.id, workflowId: runs.workflowId }).from(runs).where(inArray(runs.id, runIds))
        : []
      ).map((r) => [r.id, r.workflowId]),
    );
    const missing = body.spans.findIndex((s) => s.runId && !known.has(s.runId));
    if (missing >= 0)
      throw new RestError(
        404,
        "NOT_FOUND",
        `spans.${missing}.runId: no run with id ${body.spans[missing]?.runId}`,
        `spans.${missing}.runId`,
      );
    for (const [runId, workflowId] of known)
      await assertCallInScope(db, actor, { runId, workflow: workflowId }, { runId: "runId", workflow: "runId" });
    if (body.spans.some((s) => s.traceId)) await assertCallInScope(db, actor, { runId: null, workflow: body.workflow });
    // A traceId that happens to be an existing run of another workflow is checked as well.
    const traceIds = [...new Set(body.spans.flatMap((s) => (s.traceId ? [s.traceId] : [])))];
    for (const t of traceIds)
      await assertCallInScope(
        db,
        actor,
        { runId: t, workflow: body.workflow ?? null },
        { runId: "traceId", workflow: "workflow" },
      );

    // Ingest refuses the same, but this names the span as the caller numbered it.
    body.spans.forEach((s, i) => {
      for (const [k, v] of Object.entries(s.attributes)) {
        const size = Buffer.byteLength(typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
        if (size > MAX_ATTRIBUTE_BYTES)
          throw new RestError(
            413,
            "PAYLOAD_TOO_LARGE",
            `spans.${i}.attributes: attribute "${k}" is ${size} bytes; the limit is ${MAX_ATTRIBUTE_BYTES} (WFLO_OTLP_MAX_ATTRIBUTE_BYTES)`,
            `spans.${i}.attributes`,
          );
      }
    });

    const rate = ingestLimiter().take(actor.id, body.spans.length);
    if (!rate.ok)
      throw new RestError(
        429,
        "RATE_LIMITED",
        `trace rate limit exceeded for this API key (WFLO_OTLP_RATE_LIMIT spans/s); retry after ${rate.retryAfterS} s`,
      );

    // One resource per trace, so each run's LLM calls carry its workflow.
    const byTrace = new Map<string, OtlpSpan[]>();
    for (const s of body.spans) {
      const span = otlpSpan(s);
      byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    }
    const request: ExportTraceRequest = {
      resourceSpans: [...byTrace].map(([traceId, spans]) => ({
        resource: { attributes: keyValues({ "service.name": known.get(traceId) ?? body.workflow ?? "external" }) },
        scopeSpans: [{ scope: { name: "wflo.rest.spans" }, spans }],
      })),
    };
    try {
      const r = await ingest(db, request, { apiKeyId: actor.id });
      return {
        accepted: r.accepted,
        duplicates: r.duplicates,
        runs: r.traces.map((t) => `/runs/${t}`),
        llmCalls: r.llmCalls,
        unknownParents: r.unknownParents,
      };
    } catch (e) {
      if (e instanceof AttributeTooLargeError) throw new RestError(413, "PAYLOAD_TOO_LARGE", e.message);
      throw e;
    }
  },
});
