import protobuf from "protobufjs";
import { z } from "zod";
import { describeZodIssues } from "@/server/errors";

/**
 * OTLP/HTTP trace requests (ExportTraceServiceRequest) in both encodings the spec allows:
 * `application/json` (ids as hex, 64-bit integers as strings or numbers) and
 * `application/x-protobuf`. Both end up in one zod-checked shape, so the rest of ingest never
 * sees which wire format was used. A payload that does not fit names the field that broke.
 */

// The subset of opentelemetry/proto/{trace,common,resource}/v1 a trace export carries, as a
// protobufjs descriptor (field numbers from the official .proto files). Links and flags are left
// out on purpose: protobufjs skips unknown fields, and wflo does not use them.
const OTLP_PROTO = {
  nested: {
    ExportTraceServiceRequest: { fields: { resourceSpans: { rule: "repeated", type: "ResourceSpans", id: 1 } } },
    ResourceSpans: {
      fields: {
        resource: { type: "Resource", id: 1 },
        scopeSpans: { rule: "repeated", type: "ScopeSpans", id: 2 },
        schemaUrl: { type: "string", id: 3 },
      },
    },
    Resource: { fields: { attributes: { rule: "repeated", type: "KeyValue", id: 1 } } },
    ScopeSpans: {
      fields: { scope: { type: "InstrumentationScope", id: 1 }, spans: { rule: "repeated", type: "Span", id: 2 } },
    },
    InstrumentationScope: { fields: { name: { type: "string", id: 1 }, version: { type: "string", id: 2 } } },
    Span: {
      fields: {
        traceId: { type: "bytes", id: 1 },
        spanId: { type: "bytes", id: 2 },
        parentSpanId: { type: "bytes", id: 4 },
        name: { type: "string", id: 5 },
        kind: { type: "int32", id: 6 },
        startTimeUnixNano: { type: "fixed64", id: 7 },
        endTimeUnixNano: { type: "fixed64", id: 8 },
        attributes: { rule: "repeated", type: "KeyValue", id: 9 },
        events: { rule: "repeated", type: "Event", id: 11 },
        status: { type: "Status", id: 15 },
      },
    },
    Event: {
      fields: {
        timeUnixNano: { type: "fixed64", id: 1 },
        name: { type: "string", id: 2 },
        attributes: { rule: "repeated", type: "KeyValue", id: 3 },
      },
    },
    Status: { fields: { message: { type: "string", id: 2 }, code: { type: "int32", id: 3 } } },
    KeyValue: { fields: { key: { type: "string", id: 1 }, value: { type: "AnyValue", id: 2 } } },
    AnyValue: {
      oneofs: {
        value: {
          oneof: ["stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue"],
        },
      },
      fields: {
        stringValue: { type: "string", id: 1 },
        boolValue: { type: "bool", id: 2 },
        intValue: { type: "int64", id: 3 },
        doubleValue: { type: "double", id: 4 },
        arrayValue: { type: "ArrayValue", id: 5 },
        kvlistValue: { type: "KeyValueList", id: 6 },
        bytesValue: { type: "bytes", id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: "repeated", type: "AnyValue", id: 1 } } },
    KeyValueList: { fields: { values: { rule: "repeated", type: "KeyValue", id: 1 } } },
  },
};

const RequestType = protobuf.Root.fromJSON(OTLP_PROTO).lookupType("ExportTraceServiceRequest");

export type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
};
export type KeyValue = { key: string; value?: AnyValue };

const anyValue: z.ZodType<AnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string().regex(/^-?\d+$/, "intValue must be an integer"), z.number().int()]).optional(),
    doubleValue: z.union([z.number(), z.enum(["NaN", "Infinity", "-Infinity"]).transform(Number)]).optional(),
    arrayValue: z.object({ values: z.array(anyValue).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(keyValue).optional() }).optional(),
    bytesValue: z.string().optional(),
  }),
);
const keyValue: z.ZodType<KeyValue> = z.lazy(() => z.object({ key: z.string(), value: anyValue.optional() }));

const hex = (len: number, what: string) =>
  z
    .string({ error: `${what} must be a hex string` })
    .regex(new RegExp(`^[0-9a-fA-F]{${len}}$`), `${what} must be ${len} hex characters`)
    .refine((s) => !/^0+$/.test(s), `${what} must not be all zeros`)
    .transform((s) => s.toLowerCase());
const nanos = z
  .union([z.string().regex(/^\d+$/, "must be a count of nanoseconds"), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

const span = z.object({
  traceId: hex(32, "traceId"),
  spanId: hex(16, "spanId"),
  parentSpanId: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s || /^0*$/.test(s)) return null;
      if (!/^[0-9a-fA-F]{16}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: "parentSpanId must be 16 hex characters or empty" });
        return z.NEVER;
      }
      return s.toLowerCase();
    }),
  name: z
    .string({ error: "name must be text" })
    .min(1, "name must not be empty")
    .max(1000, "name must be at most 1000 characters"),
  kind: z.number().int().min(0).max(5).optional(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos.optional(),
  attributes: z.array(keyValue).optional(),
  events: z
    .array(z.object({ timeUnixNano: nanos.optional(), name: z.string(), attributes: z.array(keyValue).optional() }))
    .optional(),
  status: z.object({ code: z.number().int().min(0).max(2).optional(), message: z.string().optional() }).optional(),
});

export const exportTraceRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: z.array(keyValue).optional() }).optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
              spans: z.array(span).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
export type ExportTraceRequest = z.output<typeof exportTraceRequest>;
export type OtlpSpan = z.output<typeof span>;

export class OtlpDecodeError extends Error {
  override name = "OtlpDecodeError";
}

const b64hex = (v: unknown) => (typeof v === "string" ? Buffer.from(v, "base64").toString("hex") : v);

/** Protobuf bytes fields arrive as base64 from toObject; OTLP JSON uses hex. Convert ids so both look alike. */
function idsToHex(req: unknown): unknown {
  const r = req as { resourceSpans?: { scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] };
  for (const rs of r.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        s.traceId = b64hex(s.traceId);
        s.spanId = b64hex(s.spanId);
        if (s.parentSpanId !== undefined) s.parentSpanId = b64hex(s.parentSpanId);
      }
  return req;
}

function describe(err: z.ZodError): string {
  return describeZodIssues(err, { limit: 5 }).message;
}

export function decodeExportRequest(body: Uint8Array, contentType: string): ExportTraceRequest {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  let raw: unknown;
  if (type === "application/json") {
    try {
      raw = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch (e) {
      throw new OtlpDecodeError(`body is not valid JSON: ${(e as Error).message}`);
    }
  } else if (type === "application/x-protobuf" || type === "application/protobuf") {
    try {
      const msg = RequestType.decode(body);
      raw = idsToHex(RequestType.toObject(msg, { longs: String, bytes: String, defaults: false }));
    } catch (e) {
      throw new OtlpDecodeError(`body is not a valid protobuf ExportTraceServiceRequest: ${(e as Error).message}`);
    }
  } else {
    throw new OtlpDecodeError(
      `unsupported Content-Type "${contentType}": send application/json or application/x-protobuf`,
    );
  }
  const parsed = exportTraceRequest.safeParse(raw);
  if (!parsed.success) throw new OtlpDecodeError(describe(parsed.error));
  return parsed.data;
}

/** An AnyValue as plain JSON (int64 beyond 2^53 stays a string rather than losing digits). */
export function plain(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  if (v.kvlistValue) return attributes(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

export function attributes(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = plain(kv.value);
  return out;
}
