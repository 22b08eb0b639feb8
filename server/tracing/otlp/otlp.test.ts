import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { context, SpanStatusCode, trace as otelTrace } from "@opentelemetry/api";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llmCalls, runs, spans, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createApiKey } from "@/server/apikeys/service";
import { createMetrics } from "@/server/metrics/metrics";
import { getTrace } from "@/server/tracing/trace";
import { handleOtlpTraces } from "./handler";
import { createRateLimiter, type RateLimiter } from "./rate-limit";

let fresh: FreshDb;
let server: Server;
let url: string;
let secret: string;
let viewerSecret: string;
let limiter: RateLimiter = createRateLimiter(100_000);
const metrics = createMetrics();

beforeAll(async () => {
  fresh = await freshDatabase();
  // A real user row: a key acts for its creator and stops working when there is none active.
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "admin@example.com", name: "Admin", role: "admin", passwordHash: "x" })
    .returning();
  const admin = { id: row!.id, email: row!.email, role: "admin" as const };
  secret = (await createApiKey(fresh.db, admin, { name: "agent", role: "operator" })).secret;
  viewerSecret = (await createApiKey(fresh.db, admin, { name: "read-only", role: "viewer" })).secret;
  // The route handler behind a real HTTP server, so the official exporters talk to it as to a collector.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body: Buffer.concat(chunks),
      });
      void handleOtlpTraces(fresh.db, request, { limiter, metrics }).then(async (r) => {
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/traces`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await fresh.drop();
});

/** An agent instrumented with OpenTelemetry the usual way: an agent span with a GenAI chat span inside. */
async function sendAgentTrace(exporter: SpanExporter, service: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("my-agent");
  const agent = tracer.startSpan("invoke_agent planner", { attributes: { "gen_ai.operation.name": "invoke_agent" } });
  const chat = tracer.startSpan(
    "chat gpt-4o-mini",
    {
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 500,
        "gen_ai.input.messages": JSON.stringify([
          {
            role: "user",
            parts: [{ type: "text", content: "Summarise the report. My key is sk-live-ABCDEFGHIJKLMNOPQRSTUV" }],
          },
        ]),
        "http.request.header.authorization": "Bearer abcdefghijklmnop",
      },
    },
    otelTrace.setSpan(context.active(), agent),
  );
  chat.end();
  const tool = tracer.startSpan(
    "execute_tool search",
    { attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search" } },
    otelTrace.setSpan(context.active(), agent),
  );
  tool.recordException(new Error("search backend down"));
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "search backend down" });
  tool.end();
  agent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return agent.spanContext().traceId;
}

describe("OTLP/HTTP ingest from the official exporters", () => {
  for (const [name, Exporter] of [
    ["JSON", JsonExporter],
    ["protobuf", ProtoExporter],
  ] as const) {
    it(`stores ${name} spans as a run with its LLM call priced`, async () => {
      const traceId = await sendAgentTrace(
        new Exporter({ url, headers: { authorization: `Bearer ${secret}` } }),
        `agent-${name}`,
      );
      const [run] = await fresh.db.select().from(runs).where(eq(runs.id, traceId));
      expect(run).toMatchObject({ workflowId: `agent-${name}`, eventName: "otlp/trace", status: "failed" });
      const calls = await fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, traceId));
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        model: "gpt-4o-mini",
        inputTokens: 1000,
        outputTokens: 500,
        workflow: `agent-${name}`,
      });
      expect(calls[0]!.costNano).toBeGreaterThan(0n);

      const trace = await getTrace(fresh.db, traceId);
      expect(trace!.spans.filter((s) => s.kind === "llm")).toHaveLength(1);
      const chat = trace!.spans.find((s) => s.kind === "llm")!;
      const agent = trace!.spans.find((s) => s.name === "invoke_agent planner")!;
      expect(chat.parentId).toBe(agent.id);
      expect(chat.llm?.costNano).toBe(calls[0]!.costNano.toString());
      expect(JSON.stringify(chat.llm?.request)).toContain("Summarise the report.");
      const tool = trace!.spans.find((s) => s.kind === "tool")!;
      expect(tool.status).toBe("error");
      expect(tool.error?.message).toBe("search backend down");
      // Secrets sent in attributes and prompts are not stored.
      const stored = JSON.stringify(
        await fresh.db.select().from(spans).where(eq(spans.runId, traceId)),
        (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
      );
      expect(stored).not.toContain("sk-live-ABCDEFGHIJKLMNOPQRSTUV");
      expect(stored).not.toContain("abcdefghijklmnop");
    });
  }
});

describe("bad input gets a clear answer and stores nothing", () => {
  const validSpan = (traceId: string, extra: Record<string, unknown> = {}) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "bad-input" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: "1111111111111111",
                name: "s",
                startTimeUnixNano: "1763726400000000000",
                endTimeUnixNano: "1763726401000000000",
                ...extra,
              },
            ],
          },
        ],
      },
    ],
  });
  const post = (body: unknown, opts: { key?: string; type?: string } = {}) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": opts.type ?? "application/json", authorization: `Bearer ${opts.key ?? secret}` },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const count = async () => (await fresh.db.select().from(spans)).length;

  it("400 for a malformed payload, naming the field", async () => {
    const before = await count();
    let r = await post("{not json");
    expect(r.status).toBe(400);
    r = await post(validSpan("not-hex"));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain("traceId");
    r = await post("garbage", { type: "application/x-protobuf" });
    expect(r.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it("401 for a wrong key, 403 for a key whose role cannot write", async () => {
    expect((await post(validSpan("a".repeat(32)), { key: "wflo_nottherightkeyatallnottherightkey00000" })).status).toBe(
      401,
    );
    expect((await post(validSpan("a".repeat(32)), { key: viewerSecret })).status).toBe(403);
  });

  it("413 for a huge attribute, and nothing of the batch is stored", async () => {
    const before = await count();
    const r = await post(
      validSpan("b".repeat(32), { attributes: [{ key: "blob", value: { stringValue: "x".repeat(200_000) } }] }),
    );
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain('"blob"');
    expect(await count()).toBe(before);
  });

  it("200 with a partial-success note for a span whose parent never arrived; the span is kept", async () => {
    const r = await post(validSpan("c".repeat(32), { parentSpanId: "9999999999999999" }));
    expect(r.status).toBe(200);
    expect(((await r.json()) as { partialSuccess: { errorMessage?: string } }).partialSuccess.errorMessage).toContain(
      "parent",
    );
    const t = await getTrace(fresh.db, "c".repeat(32));
    expect(t?.spans).toHaveLength(2); // the run root and the orphan under it
  });

  it("429 with Retry-After for a flood beyond the configured rate, stored traces intact", async () => {
    const saved = limiter;
    limiter = createRateLimiter(1, 1);
    try {
      expect((await post(validSpan("d".repeat(32)))).status).toBe(200);
      const r = await post(validSpan("e".repeat(32)));
      expect(r.status).toBe(429);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await getTrace(fresh.db, "e".repeat(32))).toBeNull();
      expect((await getTrace(fresh.db, "d".repeat(32)))?.spans.length).toBe(2);
    } finally {
      limiter = saved;
    }
  });
});
