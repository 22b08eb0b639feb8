/**
 * Tracing figures (`npm run bench -- tracing`), on its own embedded PostgreSQL.
 *
 * ingest.spans_per_s: OTLP/HTTP JSON spans per second through the real route handler (API key
 * check, decode, zod, redaction, pricing, one transaction per request) into PostgreSQL, from a
 * local load generator: 4 concurrent exporters sending batches of 512 spans (the OpenTelemetry
 * SDK's default batch size), one span in ten a priced GenAI chat span.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import postgres from "postgres";
import { createDb } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { runMigrations } from "@/db/migrate";
import { createApiKey } from "@/server/apikeys/service";
import { createMetrics } from "@/server/metrics/metrics";
import { handleOtlpTraces } from "@/server/tracing/otlp/handler";
import { createRateLimiter } from "@/server/tracing/otlp/rate-limit";

type Metric = { value: number; unit: string };

const BATCH = 512;
const CONCURRENCY = 4;
const TOTAL = 40_960;

const hex = (n: number, len: number) => n.toString(16).padStart(len, "0");

function batch(b: number) {
  const traceId = hex(b + 1, 32);
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: BATCH }, (_, i) => {
    const llm = i % 10 === 1;
    return {
      traceId,
      spanId: hex(b * BATCH + i + 1, 16),
      parentSpanId: i === 0 ? "" : hex(b * BATCH + 1, 16),
      name: llm ? "chat gpt-4o-mini" : `step ${i}`,
      kind: llm ? 3 : 1,
      startTimeUnixNano: String(t0 + BigInt(i) * 1_000_000n),
      endTimeUnixNano: String(t0 + BigInt(i) * 1_000_000n + 800_000n),
      attributes: llm
        ? [
            { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
            { key: "gen_ai.provider.name", value: { stringValue: "openai" } },
            { key: "gen_ai.request.model", value: { stringValue: "gpt-4o-mini" } },
            { key: "gen_ai.usage.input_tokens", value: { intValue: "800" } },
            { key: "gen_ai.usage.output_tokens", value: { intValue: "200" } },
            { key: "gen_ai.input.messages", value: { stringValue: JSON.stringify([{ role: "user", parts: [{ type: "text", content: "Summarise the findings in three bullet points." }] }]) } },
          ]
        : [
            { key: "http.method", value: { stringValue: "GET" } },
            { key: "retries", value: { intValue: "0" } },
          ],
      status: { code: 1 },
    };
  });
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "bench-agent" } }] }, scopeSpans: [{ scope: { name: "bench" }, spans }] }] });
}

export async function run(): Promise<Record<string, Metric>> {
  const pg = await startEmbeddedPostgres({ dir: path.join(process.cwd(), ".wflo", "bench-pg-tracing"), port: Number(process.env.WFLO_BENCH_TRACING_PG_PORT ?? 54373), database: "postgres" });
  const name = "wflo_bench_tracing";
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const u = new URL(pg.url);
  u.pathname = `/${name}`;
  await runMigrations(u.toString());
  const { db, sql } = createDb(u.toString(), { max: 8 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      void handleOtlpTraces(db, new Request(`http://127.0.0.1${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }), { limiter: createRateLimiter(1e9), metrics }).then(async (r) => {
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
  });
  const metrics = createMetrics();
  try {
    const { secret } = await createApiKey(db, { id: "00000000-0000-4000-8000-0000000000be", email: "bench@example.com", role: "admin" }, { name: "bench", role: "operator" });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/traces`;
    const send = async (body: string) => {
      const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secret}` }, body });
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    };
    await send(batch(100_000)); // warm-up: price book, connections, JIT
    const batches = Array.from({ length: TOTAL / BATCH }, (_, i) => batch(i));
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) await send(batches[next++]!);
      }),
    );
    const secs = (performance.now() - t) / 1000;
    const [{ n }] = (await sql`select count(*)::int as n from spans`) as unknown as [{ n: number }];
    if (n !== TOTAL + BATCH) throw new Error(`expected ${TOTAL + BATCH} stored spans, found ${n}`);
    return { "ingest.spans_per_s": { value: TOTAL / secs, unit: "spans/s" } };
  } finally {
    server.close();
    await sql.end();
    await pg.stop();
  }
}
