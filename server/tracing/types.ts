import type { SpanError, SpanKind } from "@/db/schema/tracing";

/** What the explorer (and the exporter) gets for one span. Times are epoch milliseconds. */
export type TraceSpan = {
  id: string;
  parentId: string | null;
  kind: SpanKind;
  name: string;
  status: "ok" | "error" | "running" | "unset";
  startMs: number;
  /** Null while the span is still open. */
  endMs: number | null;
  attributes: Record<string, string | number | boolean | null>;
  input?: unknown;
  output?: unknown;
  error?: SpanError | null;
  llm?: {
    provider: string;
    model: string;
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    reasoningTokens: number;
    /** Nano-dollars as a decimal string (exact). */
    costNano: string | null;
    simulated: boolean;
    /** The request as sent: system / prompt / messages (redacted, size-capped); null when not captured. */
    request: unknown;
    response: unknown;
  };
};

export type TraceSummary = {
  spans: number;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  costNano: string;
  errors: number;
  durationMs: number | null;
  /** p50 / p95 of finished step spans, ms. */
  stepP50Ms: number | null;
  stepP95Ms: number | null;
};

export type Trace = {
  /** The trace id: the run id. */
  traceId: string;
  runId: string;
  workflowId: string | null;
  status: string;
  terminal: boolean;
  spans: TraceSpan[];
  summary: TraceSummary;
};

/**
 * What tracing.get sends: the span list as one JSON string. superjson walks every value it
 * sends; for 5,000 spans that walk (twice: server and browser) cost more than the rest of the
 * request, while a string passes through it untouched and the browser's JSON.parse is native.
 */
export type TraceWire = Omit<Trace, "spans"> & { spansJson: string };
