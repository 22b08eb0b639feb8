/**
 * A whole wflo app process for the kill -9 recovery test (server/recovery/crash-recovery.test.ts):
 * the embedded engine plus wflo's real serve handler, middleware and governed LLM calls, serving
 * one workflow that alternates priced `wflo.llm.complete` calls (simulated provider) with slow
 * plain steps that log when they start. Run with tsx; prints "READY <engineUrl>" when synced.
 */
import { appendFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const url = process.env.CRASH_DB_URL;
const logFile = process.env.CRASH_LOG_FILE;
if (!url || !logFile || !process.env.WFLO_ENGINE_PORT)
  throw new Error("CRASH_DB_URL, CRASH_LOG_FILE and WFLO_ENGINE_PORT are required");
// The app's connection and Inngest client read these when first imported, hence the dynamic imports below.
process.env.DATABASE_URL = url;

const { z } = await import("zod");
const { serve } = await import("inngest/node");
const { getDb } = await import("@/db/client");
// No boot and no vitest here: the child provides the workflow catalog as the test setup does.
await import("@/inngest/testing/catalog-setup");
const { createEngine } = await import("@/inngest/engine");
const { inngest } = await import("@/inngest/client");
const { defineWorkflow } = await import("@/inngest/functions/define");
const { runLifecycle } = await import("@/inngest/functions/system/run-lifecycle");

const LLM_STEPS = 4;

const workflow = defineWorkflow(
  {
    id: "crash-llm",
    name: "Crash test (LLM)",
    description: "LLM calls between slow steps.",
    event: "test/crash-llm.requested",
    input: z.object({}),
    usesLlm: true,
  },
  async ({ step, wflo }) => {
    const answers: string[] = [];
    for (let i = 1; i <= LLM_STEPS; i++) {
      // The same prompt each time: the simulated provider answers it identically, so every call costs the same and totals can be checked by count.
      const r = await wflo.llm.complete(`llm-${i}`, { prompt: "What makes a workflow durable?", maxTokens: 64 });
      answers.push(r.text);
      await step.run(`work-${i}`, async () => {
        appendFileSync(logFile, `work-${i}\n`);
        await new Promise((res) => setTimeout(res, 400));
        return i;
      });
    }
    return { answers: answers.length };
  },
);

const engine = createEngine({
  db: getDb(),
  port: Number(process.env.WFLO_ENGINE_PORT),
  leaseMs: 3_000,
  pollIntervalMs: 20,
  backoff: () => 20,
});
await engine.start();
const server = createServer(serve({ client: inngest, functions: [workflow.fn, runLifecycle] }));
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
await engine.syncApp(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/inngest`);
process.stdout.write(`READY ${engine.url}\n`);
