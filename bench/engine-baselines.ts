/**
 * The engine benchmark's baselines: the Inngest SDK alone (checkpointing to a server that does
 * nothing), and the same workflow in DBOS Transact on the same PostgreSQL.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { DBOS } from "@dbos-inc/dbos-sdk";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { median } from "./stats";

/**
 * The SDK alone: the same function served the same way, called with a checkpointing call
 * request, checkpointing to a server that answers 200 without doing anything.
 */
export async function sdkBaseline(): Promise<{ run(n: number): Promise<number[]>; close(): Promise<void> }> {
  const api: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", () => r()));
  const client = new Inngest({
    id: "baseline",
    isDev: true,
    baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  });
  let stamps: number[] = [];
  const fn = client.createFunction(
    { id: "seq", retries: 0, triggers: [{ event: "bench/seq" }] },
    async ({ event, step }) => {
      let sum = 0;
      for (let i = 0; i < (event.data as { n: number }).n; i++) {
        sum += await step.run(`s${i}`, () => {
          stamps.push(performance.now());
          return i;
        });
      }
      return sum;
    },
  );
  const app: Server = createServer(serve({ client, functions: [fn] }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest?fnId=baseline-seq&stepId=step`;
  let k = 0;
  return {
    async run(n) {
      stamps = [];
      const event = { id: `e${k}`, name: "bench/seq", data: { n }, ts: Date.now(), user: {} };
      const body = {
        version: 2,
        event,
        events: [event],
        steps: {},
        ctx: {
          run_id: `r${k++}`,
          attempt: 0,
          max_attempts: 1,
          disable_immediate_execution: false,
          use_api: false,
          stack: { stack: [], current: 0 },
          fn_id: "f",
          qi_id: "q",
        },
      };
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
      await res.text();
      return stamps.slice(1).map((s, i) => s - stamps[i]!);
    },
    async close() {
      for (const s of [api, app]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}

/** The same 100 no-op sequential steps as a DBOS Transact workflow; median wall time of 5. */
export async function dbosRun(systemDatabaseUrl: string): Promise<number> {
  DBOS.setConfig({ name: "wflo-bench", systemDatabaseUrl, logLevel: "error" });
  const step = async (i: number) => i;
  const workflow = DBOS.registerWorkflow(
    async (n: number) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += await DBOS.runStep(() => step(i), { name: `s${i}` });
      return sum;
    },
    { name: "seq" },
  );
  await DBOS.launch();
  try {
    for (let i = 0; i < 3; i++) await workflow(50);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await workflow(100);
      times.push(performance.now() - t);
    }
    return median(times);
  } finally {
    await DBOS.shutdown();
  }
}
