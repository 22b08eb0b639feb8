import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "./index";
import { engineClientOptions } from "@/server/security/signing-key";

/** Several processes sharing one PostgreSQL: leases mean no step runs twice. */
let fresh: FreshDb;
const engines: Engine[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const e of engines) await e.stop();
  for (const c of closers) await c();
  await fresh?.drop();
});

describe("shared database", () => {
  it("three engines on one database run 30 runs with every step executed exactly once", async () => {
    fresh = await freshDatabase();
    for (let i = 0; i < 3; i++) {
      const { db, sql } = createDb(fresh.url, { max: 5 });
      closers.push(() => sql.end({ timeout: 5 }));
      const e = createEngine({ db, port: 0, pollIntervalMs: 10, backoff: () => 10, leaseMs: 5_000 });
      await e.start();
      engines.push(e);
    }
    const executions = new Map<string, number>();
    const client = new Inngest({ id: "shared-app", ...engineClientOptions(engines[0]!.url) });
    const fn = client.createFunction({ id: "work", triggers: [{ event: "s/go" }] }, async ({ event, step }) => {
      const id = (event.data as { id: number }).id;
      let sum = 0;
      for (let i = 0; i < 4; i++) {
        sum += await step.run(`step-${i}`, () => {
          const k = `${id}:${i}`;
          executions.set(k, (executions.get(k) ?? 0) + 1);
          return i;
        });
      }
      await step.sleep("pause", "100ms");
      const [a, b] = await Promise.all([step.run("pa", () => 1), step.run("pb", () => 2)]);
      return sum + a + b;
    });
    const server: Server = createServer(serve({ client, functions: [fn] }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    closers.push(
      () =>
        new Promise((r) => {
          server.closeAllConnections();
          server.close(r);
        }),
    );
    await engines[1]!.syncApp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`);

    await engines[2]!.sendEvent(Array.from({ length: 30 }, (_, id) => ({ name: "s/go", data: { id } })));
    for (let i = 0; i < 400; i++) {
      const [row] = await fresh.sql<
        { n: number }[]
      >`select count(*)::int as n from engine_runs where status = 'completed'`;
      if (row?.n === 30) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const runs = await fresh.sql<{ status: string; output: unknown }[]>`select status, output from engine_runs`;
    if (runs.some((r) => r.status !== "completed")) {
      console.log(
        JSON.stringify(
          await fresh.sql`select q.id::text, q.run_id, q.kind, q.step_id, q.attempt, q.due_at::text, q.lease_until::text, q.lease_token, now()::text as now from engine_queue q`,
          null,
          1,
        ).slice(0, 3000),
      );
      console.log(
        JSON.stringify(
          await fresh.sql`select r.id, r.status, (select count(*)::int from engine_steps s where s.run_id = r.id) as steps, (select string_agg(name, ',' order by id) from engine_steps s where s.run_id = r.id) as names from engine_runs r where status = 'running'`,
        ),
      );
    }
    expect(runs).toHaveLength(30);
    for (const r of runs) expect(r).toEqual({ status: "completed", output: 9 });
    expect(executions.size).toBe(120);
    for (const [, n] of executions) expect(n).toBe(1);
  }, 60_000);
});
