/**
 * Tracing figures (`npm run bench -- tracing`), on its own embedded PostgreSQL.
 *
 * ingest.spans_per_s: OTLP/HTTP JSON spans per second through the real route handler (API key
 * check, decode, zod, redaction, pricing, one transaction per request) into PostgreSQL, from a
 * local load generator: 4 concurrent exporters sending batches of 512 spans (the OpenTelemetry
 * SDK's default batch size), one span in ten a priced GenAI chat span.
 *
 * ui.trace_render_ms_5k: the production build (`next build` first) on its own data dir and
 * ports; a 5,000-span trace is sent over OTLP, then headless Chromium opens its run page. The
 * figure is the median over 3 loads of the time from navigation start until a span's details
 * are on screen after a click (measured in the page). Skipped when there is no build.
 */
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
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
import { bigTrace } from "@/server/tracing/testing/big-trace";

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
            {
              key: "gen_ai.input.messages",
              value: {
                stringValue: JSON.stringify([
                  {
                    role: "user",
                    parts: [{ type: "text", content: "Summarise the findings in three bullet points." }],
                  },
                ]),
              },
            },
          ]
        : [
            { key: "http.method", value: { stringValue: "GET" } },
            { key: "retries", value: { intValue: "0" } },
          ],
      status: { code: 1 },
    };
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "bench-agent" } }] },
        scopeSpans: [{ scope: { name: "bench" }, spans }],
      },
    ],
  });
}

export async function run(): Promise<Record<string, Metric>> {
  const ingestFigures = await ingestBench();
  const ui = await uiBench();
  return { ...ingestFigures, ...(ui === null ? {} : { "ui.trace_render_ms_5k": { value: ui, unit: "ms" } }) };
}

async function uiBench(): Promise<number | null> {
  const root = process.cwd();
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("ui.trace_render_ms_5k skipped: no production build (run `npx next build` first)");
    return null;
  }
  const port = Number(process.env.WFLO_BENCH_UI_PORT ?? 3711);
  const base = `http://localhost:${port}`;
  const admin = { email: "bench@wflo.local", password: "bench admin password" };
  const dataDir = path.join(root, ".wflo", "bench-ui");
  rmSync(dataDir, { recursive: true, force: true });
  const server = spawn(process.execPath, ["scripts/start.mjs", "--no-build"], {
    cwd: root,
    detached: true,
    stdio: "ignore",
    env: {
      ...process.env,
      PORT: String(port),
      NEXTAUTH_URL: base,
      WFLO_DATA_DIR: dataDir,
      WFLO_PG_PORT: process.env.WFLO_BENCH_UI_PG_PORT ?? "54375",
      WFLO_ENGINE_PORT: process.env.WFLO_BENCH_UI_ENGINE_PORT ?? "8312",
      WFLO_ADMIN_EMAIL: admin.email,
      WFLO_ADMIN_PASSWORD: admin.password,
      WFLO_SIGNIN_MAX_PER_ADDRESS: "1000",
      NODE_ENV: "production",
    },
  });
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 240) throw new Error("the app did not start within 120 s");
      const ok = await fetch(`${base}/signin`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const page = await browser.newPage();
    await page.goto(`${base}/signin`);
    await page.getByLabel("Email").fill(admin.email);
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.goto(`${base}/settings/api-keys`);
    await page.getByLabel("Name").fill("ui bench");
    await page.getByLabel("Role").selectOption("operator");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = ((await page.getByTestId("new-api-key").textContent()) ?? "").trim();
    const traceId = hex(Date.now(), 32);
    const r = await fetch(`${base}/api/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      body: JSON.stringify(bigTrace(traceId, "ui-bench")),
    });
    if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      await page.goto(`${base}/runs/${traceId}`);
      await page.getByTestId("span-llm").first().click();
      await page.getByTestId("llm-facts").waitFor();
      const ms = await page.evaluate(() => performance.now());
      if (i > 0) times.push(ms); // the first load warms the server's caches
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid!, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

async function ingestBench(): Promise<Record<string, Metric>> {
  const pg = await startEmbeddedPostgres({
    dir: path.join(process.cwd(), ".wflo", "bench-pg-tracing"),
    port: Number(process.env.WFLO_BENCH_TRACING_PG_PORT ?? 54373),
    database: "postgres",
  });
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
      void handleOtlpTraces(
        db,
        new Request(`http://127.0.0.1${req.url}`, { method: "POST", headers, body: Buffer.concat(chunks) }),
        { limiter: createRateLimiter(1e9), metrics },
      ).then(async (r) => {
        res.writeHead(r.status, { "content-type": "application/json" });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
  });
  const metrics = createMetrics();
  try {
    const { secret } = await createApiKey(
      db,
      { id: "00000000-0000-4000-8000-0000000000be", email: "bench@example.com", role: "admin" },
      { name: "bench", role: "operator" },
    );
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/traces`;
    const send = async (body: string) => {
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
        body,
      });
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
