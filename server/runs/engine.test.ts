import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDb } from "@/db/client";
import { runs, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import type { Engine } from "@/inngest/engine";

/**
 * The whole path on real parts: the tRPC trigger sends the event to the embedded engine, the
 * engine calls wflo's real serve handler, the middleware records the run, the engine's
 * lifecycle events reach the lifecycle function. Nothing is stubbed.
 */
const port = vi.hoisted(() => {
  const p = 20_000 + Math.floor(Math.random() * 20_000);
  process.env.WFLO_ENGINE_PORT = String(p);
  return p;
});

let fresh: FreshDb;
let engine: Engine;
let app: Server;
let operator: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const [u] = await fresh.db.insert(users).values({ email: "op@example.com", name: "Op", role: "operator", passwordHash: "x" }).returning();
  operator = { id: u!.id, email: u!.email, name: u!.name, role: "operator" };

  const { createEngine } = await import("@/inngest/engine");
  const { inngest } = await import("@/inngest/client");
  const { servedFunctions } = await import("@/inngest/registry");
  engine = createEngine({ db: fresh.db, port, pollIntervalMs: 20, backoff: () => 50 });
  await engine.start();
  app = createServer(serve({ client: inngest, functions: servedFunctions }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  await engine.syncApp(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);
});
afterAll(async () => {
  await engine?.stop();
  await new Promise((r) => app?.close(r));
  await closeDb();
  await fresh?.drop();
});

const caller = () => appRouter.createCaller(createInnerContext({ db: fresh.db, user: operator }));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runFor(eventId: string) {
  return until(`a run for event ${eventId}`, async () => (await caller().runs.byEvent({ eventId }))[0]);
}
const statusOf = async (runId: string) => (await fresh.db.select({ s: runs.status }).from(runs).where(eq(runs.id, runId)))[0]?.s;

describe("on the embedded engine", () => {
  it("runs the research assistant to completion with feedback delivered to its wait", async () => {
    const { eventId } = await caller().runs.trigger({ workflowId: "research-assistant", input: { topic: "engine integration", questions: 2 } });
    const { id: runId } = await runFor(eventId);
    await until("the run to wait for feedback", async () => (await statusOf(runId)) === "waiting");

    const { inngest } = await import("@/inngest/client");
    await inngest.send({ name: "research/feedback.submitted", data: { topicId: `topic_${runId}`, comments: "Add a cost section." } });
    await until("the run to complete", async () => (await statusOf(runId)) === "completed");

    const detail = await caller().runs.get({ runId });
    expect(detail.run).toMatchObject({ triggeredByEmail: operator.email, output: { feedback: { received: true, comments: "Add a cost section." }, simulated: true } });
    expect(detail.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["plan", "completed"],
      ["research-1", "completed"],
      ["research-2", "completed"],
      ["draft", "completed"],
      ["pause-before-review", "completed"],
      ["await-feedback", "completed"],
      ["finalize", "completed"],
    ]);
    // The middleware records completion from the SDK's response, a moment before the engine stores it.
    await until("the engine to finish the run", async () => (await engine.getRun(runId))?.status === "completed");
  });

  it("cancels a waiting run through the engine's REST API and keeps it cancelled after the lifecycle events", async () => {
    const { eventId } = await caller().runs.trigger({ workflowId: "research-assistant", input: { topic: "cancel on the engine", questions: 1, feedbackTimeout: "10m" } });
    const { id: runId } = await runFor(eventId);
    await until("the run to wait", async () => (await statusOf(runId)) === "waiting");

    await caller().runs.cancel({ runId });
    expect((await engine.getRun(runId))?.status).toBe("cancelled");
    // Give the lifecycle function (cancelled + finished-with-error) time to run; the status must hold.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await statusOf(runId)).toBe("cancelled");
    expect((await caller().runs.get({ runId })).steps.find((s) => s.stepId === "await-feedback")?.status).toBe("cancelled");
  });

  it("records retries and a final failure when retries run out", async () => {
    const { eventId } = await caller().runs.trigger({ workflowId: "flaky", input: { failures: 5 } });
    const { id: runId } = await runFor(eventId);
    await until("the run to fail", async () => (await statusOf(runId)) === "failed", 25_000);
    const detail = await caller().runs.get({ runId });
    expect(detail.steps[0]).toMatchObject({ stepId: "call-upstream", status: "failed", attempts: 4 });
    expect(detail.run.error?.message).toMatch(/upstream unavailable/);
  }, 30_000);
});
