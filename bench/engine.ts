/**
 * Embedded engine figures (`npm run bench -- engine`), on one embedded PostgreSQL
 * (.wflo/bench-engine-pg, port WFLO_BENCH_ENGINE_PG_PORT or 54380; WFLO_BENCH_DATABASE_URL
 * points it at another server), with the real Inngest SDK served over HTTP as in production:
 *   engine.step_gap_ms_p50           gap between consecutive no-op steps in a 100-step sequential run on the engine
 *   engine.sdk_step_ms_p50           the same gap when the SDK checkpoints to a no-op server (no engine, no DB): the SDK's own cost
 *   engine.step_overhead_ms_p50      step_gap - sdk_step: what the engine adds per step (checkpoint HTTP handling + one commit)
 *   engine.checkpoint_ms_p50         one checkpoint request as a client sees it (HTTP round trip + one committed insert)
 *   engine.run_100_ms                100-step sequential run, event to completion (median of 5)
 *   engine.run_1000_ms               1,000-step sequential run, event to completion
 *   engine.linearity_1000_over_100   run_1000_ms / run_100_ms (10 = perfectly linear; target <= 12)
 *   engine.fanout_100_ms             one run with 100 parallel steps (Promise.all), event to completion
 *   engine.physical_floor_insert_ms  one committed INSERT of a step-sized row, p50 (the durability floor per step)
 *   engine.vs_dbos_ratio             run_100_ms / the same 100-step workflow in DBOS Transact on the same PostgreSQL
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import postgres from "postgres";
import { createDb } from "@/db/client";
import { startEmbeddedPostgres } from "@/db/embedded";
import { runMigrations } from "@/db/migrate";
import { createEngine } from "@/inngest/engine";
import { engineClientOptions } from "@/server/security/signing-key";
import { dbosRun, sdkBaseline } from "./engine-baselines";
import { median } from "./stats";

type Metric = { value: number; unit: string };

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freshDb(adminUrl: string, name: string, migrate: boolean): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop database if exists "${name}" with (force)`);
    await sql.unsafe(`create database "${name}"`);
  } finally {
    await sql.end();
  }
  const url = withDb(adminUrl, name);
  if (migrate) await runMigrations(url);
  return url;
}

export async function run(): Promise<Record<string, Metric>> {
  let adminUrl = process.env.WFLO_BENCH_DATABASE_URL;
  let stopPg = async () => {};
  if (!adminUrl) {
    const pg = await startEmbeddedPostgres({
      dir: path.join(process.cwd(), ".wflo", "bench-engine-pg"),
      port: Number(process.env.WFLO_BENCH_ENGINE_PG_PORT ?? 54380),
      database: "postgres",
    });
    adminUrl = pg.url;
    stopPg = pg.stop;
  }
  const url = await freshDb(adminUrl, "wflo_bench_engine", true);
  const { db, sql } = createDb(url, { max: 10 });
  const engine = createEngine({ db, port: 0, pollIntervalMs: 50 });
  await engine.start();

  const client = new Inngest({
    id: "bench",
    ...engineClientOptions(engine.url),
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
  const stamps = new Map<string, number[]>();
  const seq = client.createFunction(
    { id: "seq", retries: 0, triggers: [{ event: "bench/seq" }] },
    async ({ event, step }) => {
      const { n, tag } = event.data as { n: number; tag: string };
      let sum = 0;
      for (let i = 0; i < n; i++) {
        sum += await step.run(`s${i}`, () => {
          const list = stamps.get(tag) ?? [];
          list.push(performance.now());
          stamps.set(tag, list);
          return i;
        });
      }
      return sum;
    },
  );
  const fan = client.createFunction(
    { id: "fan", retries: 0, triggers: [{ event: "bench/fan" }] },
    async ({ event, step }) => {
      const { n } = event.data as { n: number };
      const parts = await Promise.all(Array.from({ length: n }, (_, i) => step.run(`p${i}`, () => i)));
      return parts.length;
    },
  );
  const server: Server = createServer(serve({ client, functions: [seq, fan] }));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  await engine.syncApp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`);

  // Checkpoint handling time as the engine sees it (server side of each step).
  const handler = { total: [] as number[] };
  const origQuery = sql;
  void origQuery;

  let tagN = 0;
  async function timeRun(name: string, data: Record<string, unknown>): Promise<{ ms: number; tag: string }> {
    const tag = `t${tagN++}`;
    const { ids } = await engine.sendEvent({ name, data: { ...data, tag } });
    for (;;) {
      const [row] = await sql<
        { status: string; ms: number }[]
      >`select status, (extract(epoch from ended_at - created_at) * 1000)::float8 as ms
        from engine_runs where event->>'id' = ${ids[0]!}`;
      if (row && row.status !== "running") {
        if (row.status !== "completed") throw new Error(`bench run ${name} ended ${row.status}`);
        return { ms: row.ms, tag };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  const baseline = await sdkBaseline();
  // Warm up the JIT, the pool and prepared statements.
  for (let i = 0; i < 3; i++) {
    await timeRun("bench/seq", { n: 50 });
    await baseline.run(50);
  }

  // Interleaved with the baseline so both see the same machine load.
  const runs100: number[] = [];
  const gaps: number[] = [];
  const sdkGaps: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await timeRun("bench/seq", { n: 100 });
    runs100.push(r.ms);
    const s = stamps.get(r.tag) ?? [];
    for (let j = 1; j < s.length; j++) gaps.push(s[j]! - s[j - 1]!);
    sdkGaps.push(...(await baseline.run(100)));
  }
  await baseline.close();
  const run100 = median(runs100);
  const run1000 = (await timeRun("bench/seq", { n: 1000 })).ms;
  await timeRun("bench/fan", { n: 10 });
  const fanout = median([
    (await timeRun("bench/fan", { n: 100 })).ms,
    (await timeRun("bench/fan", { n: 100 })).ms,
    (await timeRun("bench/fan", { n: 100 })).ms,
  ]);

  // The engine's checkpoint path alone: the same statement the handler runs, per step.
  const [lease] = await sql<
    { id: string }[]
  >`insert into engine_queue (run_id, function_id, kind, due_at, lease_token, lease_until)
    values ('bench-run', 'bench-seq', 'call', now() + interval '1 hour', 'tok', now() + interval '1 hour') returning id::text as id`;
  for (let i = 0; i < 200; i++) {
    const body = JSON.stringify({
      run_id: "bench-run",
      fn_id: "bench-seq",
      qi_id: `${lease!.id}:tok`,
      steps: [{ id: `step-${i}`, op: "StepRun", name: `s${i}`, data: i }],
    });
    const t = performance.now();
    const res = await fetch(`${engine.url}/v1/checkpoint/bench-run/async`, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    await res.text();
    handler.total.push(performance.now() - t);
  }

  // Physical floor: one committed INSERT per step.
  await sql`create table if not exists bench_floor (id bigserial primary key, run_id text, step_id text, data jsonb)`;
  const floor: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await sql`insert into bench_floor (run_id, step_id, data) values ('r', ${`s${i}`}, ${JSON.stringify({ i })}::jsonb)`;
    floor.push(performance.now() - t);
  }

  await engine.stop();
  server.closeAllConnections();
  server.close();
  await sql.end({ timeout: 5 });

  const dbosMs = await dbosRun(await freshDb(adminUrl, "wflo_bench_dbos", false));
  await stopPg();

  return {
    "engine.step_gap_ms_p50": { value: median(gaps), unit: "ms" },
    "engine.sdk_step_ms_p50": { value: median(sdkGaps), unit: "ms" },
    "engine.step_overhead_ms_p50": { value: Math.max(0, median(gaps) - median(sdkGaps)), unit: "ms" },
    "engine.checkpoint_ms_p50": { value: median(handler.total.slice(20)), unit: "ms" },
    "engine.run_100_ms": { value: run100, unit: "ms" },
    "engine.run_1000_ms": { value: run1000, unit: "ms" },
    "engine.linearity_1000_over_100": { value: run1000 / run100, unit: "x" },
    "engine.fanout_100_ms": { value: fanout, unit: "ms" },
    "engine.physical_floor_insert_ms": { value: median(floor.slice(20)), unit: "ms" },
    "engine.vs_dbos_ratio": { value: run100 / dbosMs, unit: "x" },
  };
}
