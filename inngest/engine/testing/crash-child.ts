/**
 * A whole wflo-like process for the kill -9 test: the engine plus a served Inngest app whose
 * steps append to a file. Run with tsx; prints "READY <engineUrl>" when synced.
 */
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest } from "inngest";
import { serve } from "inngest/node";
import { createDb } from "@/db/client";
import { createEngine } from "../index";
import { engineClientOptions } from "@/server/security/signing-key";

const url = process.env.CRASH_DB_URL;
const logFile = process.env.CRASH_LOG_FILE;
if (!url || !logFile) throw new Error("CRASH_DB_URL and CRASH_LOG_FILE are required");
const STEPS = Number(process.env.CRASH_STEPS ?? 8);

const { db } = createDb(url, { max: 5 });
const engine = createEngine({ db, port: 0, leaseMs: 1_000, pollIntervalMs: 20, backoff: () => 20 });
await engine.start();
const client = new Inngest({ id: "crash-app", ...engineClientOptions(engine.url) });
const fn = client.createFunction({ id: "crashy", triggers: [{ event: "crash/go" }] }, async ({ step }) => {
  let total = 0;
  for (let i = 0; i < STEPS; i++) {
    total += await step.run(`s${i}`, async () => {
      appendFileSync(logFile, `s${i}\n`);
      await new Promise((r) => setTimeout(r, 150));
      return i;
    });
  }
  return { total };
});
const server = createServer(serve({ client, functions: [fn] }));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
await engine.syncApp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`);
process.stdout.write(`READY ${engine.url}\n`);
