import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Tracing (server/tracing). A run's trace is mostly a read model assembled from rows that
 * already exist (runs, run_steps, llm_calls, sandbox_executions, approvals, state_snapshots);
 * these tables hold only what no other table has: spans that arrived over OTLP (or any other
 * extra span), and the prompt/response of governed LLM calls.
 *
 * Every jsonb value here was redacted and size-capped before it was written
 * (server/tracing/redact.ts), and is redacted again when served or exported.
 */

/** The OTLP span kinds wflo distinguishes in the explorer. */
export const SPAN_KINDS = ["run", "step", "llm", "tool", "sandbox", "approval", "checkpoint", "span"] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];

/** An error as a span carries it: the exception event's type, message and stack. */
export type SpanError = { name: string; message: string; stack?: string };

export const spans = pgTable(
  "spans",
  {
    /** The run this span belongs to. For OTLP traces the run id is the trace id (32 hex chars). */
    runId: text("run_id").notNull(),
    /** 16 hex chars for OTLP spans. */
    spanId: text("span_id").notNull(),
    /** Null for a root span; may name a span that never arrived (the explorer puts it under the root). */
    parentSpanId: text("parent_span_id"),
    name: text("name").notNull(),
    kind: text("kind").$type<SpanKind>().notNull(),
    /** ok | error | unset (OTLP status codes). */
    status: text("status").$type<"ok" | "error" | "unset">().notNull().default("unset"),
    startedAt: timestamp("started_at", { withTimezone: true, precision: 6 }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true, precision: 6 }),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull(),
    input: jsonb("input"),
    output: jsonb("output"),
    error: jsonb("error").$type<SpanError>(),
    model: text("model"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    /** Priced at ingest from wflo's price book; null when the model has no price. */
    costNano: bigint("cost_nano", { mode: "bigint" }),
    /** llm_calls.id written for this span (GenAI spans), so spend shows up with the rest. */
    llmCallId: bigint("llm_call_id", { mode: "number" }),
    /** 'otlp' (ingested) or 'wflo' (an extra span wflo wrote itself). */
    source: text("source").notNull().default("otlp"),
    /** The API key that sent it. */
    apiKeyId: text("api_key_id"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.spanId] }), index("spans_run_started_idx").on(t.runId, t.startedAt)],
);
export type SpanRow = typeof spans.$inferSelect;

/**
 * What a governed LLM call sent and got back (redacted, size-capped), so the trace explorer can
 * show the prompt messages. Keyed by llm_calls.id; written right after the call is settled.
 */
export const llmCallPayloads = pgTable("llm_call_payloads", {
  callId: bigint("call_id", { mode: "number" }).primaryKey(),
  runId: text("run_id").notNull(),
  request: jsonb("request"),
  response: jsonb("response"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
export type LlmCallPayloadRow = typeof llmCallPayloads.$inferSelect;
