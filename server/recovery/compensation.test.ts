import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { closeDb } from "@/db/client";
import { runs, runSteps, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createEngine, type Engine } from "@/inngest/engine";
import { inngest } from "@/inngest/client";
import { defineWorkflow } from "@/inngest/functions/define";
import { servedFunctions } from "@/inngest/registry";
import { appRouter } from "@/server/api/root";
import { createInnerContext, publicErrorMessage, type SessionUser } from "@/server/api/trpc";

/**
 * Compensation on the embedded engine with the real SDK: a test-only booking saga whose steps
 * declare undos. The undos log what they did in this process (the serve handler runs here), so
 * the order is observed, not inferred from rows the code under test wrote.
 */
vi.hoisted(async () => (await import("@/server/runs/testing/engine-port")).claimEnginePort());

const undone: { runId: string; stepId: string; output: unknown }[] = [];
const undoneIn = (runId: string) => undone.filter((u) => u.runId === runId).map((u) => u.stepId);

const booked = z.object({ ref: z.string(), failUndo: z.boolean() });
const undo = async (output: unknown, ctx: { runId: string; stepId: string }) => {
  const b = booked.parse(output);
  if (b.failUndo) throw new Error(`the supplier refuses to cancel ${b.ref}`);
  undone.push({ runId: ctx.runId, stepId: ctx.stepId, output });
  return { cancelled: b.ref };
};

const trip = defineWorkflow(
  {
    id: "test-trip",
    name: "Trip (test saga)",
    description: "Books a flight, a hotel and a payment; any of them can be undone.",
    event: "test/trip.requested",
    retries: 1,
    rollbackOnFailure: true,
    input: z.object({ failAt: z.enum(["none", "confirm"]).default("none"), failUndo: z.enum(["none", "hotel"]).default("none") }),
    compensate: { flight: undo, hotel: undo, charge: undo },
  },
  async ({ input, step }) => {
    const flight = await step.run("flight", async () => ({ ref: "F-1", failUndo: false }));
    const hotel = await step.run("hotel", async () => ({ ref: "H-1", failUndo: input.failUndo === "hotel" }));
    // No undo declared: never compensated.
    await step.run("note", async () => "noted");
    const charge = await step.run("charge", async () => ({ ref: "C-1", failUndo: false }));
    await step.run("confirm", async () => {
      if (input.failAt === "confirm") throw new Error("confirmation service down");
      return "confirmed";
    });
    return { flight: flight.ref, hotel: hotel.ref, charge: charge.ref };
  },
);

let fresh: FreshDb;
let engine: Engine;
let app: Server;
let operator: SessionUser;
let operator2: SessionUser;
let viewer: SessionUser;

const as = (u: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user: u }));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await pause(50);
  }
}
const runOf = async (runId: string) => (await fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
const finished = (runId: string) => until(`run ${runId} to finish`, async () => ["completed", "failed", "cancelled"].includes((await runOf(runId))?.status ?? "") && (await runOf(runId)));
async function start(input: Record<string, unknown>): Promise<string> {
  const { ids } = await inngest.send({ name: trip.event, data: input });
  return until("the run to be recorded", async () => (await fresh.db.select({ id: runs.id }).from(runs).where(eq(runs.eventId, ids[0]!)))[0]?.id);
}
const rollbackEnded = (runId: string) => until(`rollback of ${runId} to end`, async () => {
  const s = await as(viewer).recovery.rollbackStatus({ runId });
  return s.rollback && s.rollback.status !== "running" && s;
});
async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: publicErrorMessage(e) };
    throw e;
  }
  throw new Error("expected an error");
}

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  engine = createEngine({ db: fresh.db, port: Number(process.env.WFLO_ENGINE_PORT), pollIntervalMs: 20, backoff: () => 50 });
  await engine.start();
  app = createServer(serve({ client: inngest, functions: [...servedFunctions, trip.fn] }));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", () => r()));
  await engine.syncApp(`http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`);
  const user = async (email: string, role: SessionUser["role"]): Promise<SessionUser> => {
    const [u] = await fresh.db.insert(users).values({ email, name: email, role, passwordHash: "x" }).returning();
    return { id: u!.id, email, name: email, role };
  };
  operator = await user("op1@example.com", "operator");
  operator2 = await user("op2@example.com", "operator");
  viewer = await user("viewer@example.com", "viewer");
});
afterAll(async () => {
  await engine?.stop();
  await new Promise((r) => app?.close(r));
  await closeDb();
  await fresh?.drop();
});

describe("automatic rollback on failure", () => {
  it("runs completed steps' compensations newest first, as durable steps of the run, and ends it rolled back", async () => {
    const runId = await start({ failAt: "confirm" });
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toContain("confirmation service down (rolled back)");
    expect(undoneIn(runId)).toEqual(["charge", "hotel", "flight"]);
    // Each undo got its own step's recorded result.
    expect(undone.find((u) => u.runId === runId && u.stepId === "hotel")?.output).toEqual({ ref: "H-1", failUndo: false });

    const s = await as(viewer).recovery.rollbackStatus({ runId });
    expect(s.rollback).toMatchObject({ status: "rolled_back", reason: "automatic", failedStepId: null });
    expect(s.needsAttention).toBe(false);
    expect(s.compensations.map((c) => [c.stepId, c.status, c.attempts])).toEqual([
      ["charge", "compensated", 1],
      ["hotel", "compensated", 1],
      ["flight", "compensated", 1],
    ]);
    const steps = await fresh.db.select({ stepId: runSteps.stepId, status: runSteps.status }).from(runSteps).where(eq(runSteps.runId, runId));
    expect(steps.filter((x) => x.stepId.startsWith("compensate:")).map((x) => [x.stepId, x.status])).toEqual([
      ["compensate:charge", "completed"],
      ["compensate:hotel", "completed"],
      ["compensate:flight", "completed"],
    ]);
  });

  it("stops at a compensation that keeps failing after its retries: partly rolled back, needs attention, the rest left for a person", async () => {
    const runId = await start({ failAt: "confirm", failUndo: "hotel" });
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toContain(`partly rolled back: the compensation of \\"hotel\\" failed (the supplier refuses to cancel H-1)`);
    expect(undoneIn(runId)).toEqual(["charge"]);

    const s = await as(viewer).recovery.rollbackStatus({ runId });
    expect(s.needsAttention).toBe(true);
    expect(s.rollback).toMatchObject({ status: "partly_rolled_back", failedStepId: "hotel", error: { message: "the supplier refuses to cancel H-1" } });
    expect(s.compensations.map((c) => [c.stepId, c.status, c.attempts])).toEqual([
      ["charge", "compensated", 1],
      // retries: 1 -> two attempts, then it stops.
      ["hotel", "failed", 2],
      ["flight", "skipped", 0],
    ]);
    expect(s.compensations[1]?.error).toEqual({ name: "Error", message: "the supplier refuses to cancel H-1" });
  });
});

describe("operator rollback", () => {
  it("of a completed run: two operators at once, exactly one proceeds; compensations run in reverse in a system run", async () => {
    const runId = await start({});
    expect((await finished(runId)).status).toBe("completed");
    expect((await as(viewer).recovery.rollbackStatus({ runId })).compensations.map((c) => c.status)).toEqual(["pending", "pending", "pending"]);

    const results = await Promise.allSettled([as(operator).recovery.rollback({ runId }), as(operator2).recovery.rollback({ runId })]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const e = refused[0] as TRPCError;
    expect(e.code).toBe("CONFLICT");
    const winner = ok[0]?.status === "fulfilled" && results[0]?.status === "fulfilled" ? operator.email : operator2.email;
    expect(publicErrorMessage(e)).toMatch(new RegExp(`^runId: run ${runId} is already being rolled back by ${winner.replace(".", "\\.")} \\(since `));

    const s = await rollbackEnded(runId);
    expect(s.rollback).toMatchObject({ status: "rolled_back", reason: "operator", requestedByEmail: winner });
    expect(undoneIn(runId)).toEqual(["charge", "hotel", "flight"]);
    // The run itself keeps its outcome; the rollback is beside it.
    expect((await runOf(runId))?.status).toBe("completed");

    const again = await errorOf(as(operator).recovery.rollback({ runId }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    expect(again.message).toMatch(/has nothing to undo/);
  });

  it("retries a partly rolled back run's open compensations once the cause is fixed", async () => {
    const runId = await start({ failAt: "confirm", failUndo: "hotel" });
    await finished(runId);
    expect((await rollbackEnded(runId)).rollback?.status).toBe("partly_rolled_back");
    // A person fixes the cause (here: the recorded booking no longer refuses).
    const { runCompensations } = await import("@/db/schema");
    await fresh.db.update(runCompensations).set({ output: { ref: "H-1", failUndo: false } }).where(and(eq(runCompensations.runId, runId), eq(runCompensations.stepId, "hotel")));
    const res = await as(operator).recovery.rollback({ runId });
    expect(res.compensations).toEqual(["hotel", "flight"]);
    const s = await until("the retried rollback", async () => {
      const x = await as(viewer).recovery.rollbackStatus({ runId });
      return x.rollback?.status === "rolled_back" && x;
    });
    expect(s.compensations.map((c) => c.status)).toEqual(["compensated", "compensated", "compensated"]);
    expect(undoneIn(runId)).toEqual(["charge", "hotel", "flight"]);
  });

  it("refuses clearly: no permission, a run still going, an unknown run", async () => {
    const runId = await start({});
    await finished(runId);
    expect((await errorOf(as(viewer).recovery.rollback({ runId }))).code).toBe("FORBIDDEN");
    expect(await errorOf(as(operator).recovery.rollback({ runId: "nope" }))).toEqual({ code: "NOT_FOUND", message: "runId: no run with id nope" });
    expect((await errorOf(as(operator).recovery.rollback({ runId: "" }))).code).toBe("BAD_REQUEST");
    await fresh.db.update(runs).set({ status: "running" }).where(eq(runs.id, runId));
    expect(await errorOf(as(operator).recovery.rollback({ runId }))).toEqual({ code: "PRECONDITION_FAILED", message: `runId: run ${runId} is running; cancel it or let it finish before rolling it back` });
  });
});
