import type { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { runs, runSteps } from "@/db/schema";
import { defineWorkflow } from "@/inngest/functions/define";
import { errorOf } from "@/server/api/testing/error-of";
import { publicErrorMessage } from "@/server/api/trpc";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * Compensation on the embedded engine with the real SDK: a test-only booking saga whose steps
 * declare undos. The undos log what they did in this process (the serve handler runs here), so
 * the order is observed, not inferred from rows the code under test wrote.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

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
    input: z.object({
      failAt: z.enum(["none", "confirm"]).default("none"),
      failUndo: z.enum(["none", "hotel"]).default("none"),
    }),
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

const { h, operator, operator2, viewer } = await openHarness(() => startRunsHarness({ extraFunctions: [trip.fn] }), {
  operator: ["op1@example.com", "operator"],
  operator2: ["op2@example.com", "operator"],
  viewer: ["viewer@example.com", "viewer"],
});
const fresh = h.fresh;
const as = h.as;
const until = h.until;
const finished = (runId: string) => h.finished(runId);
const runOf = async (runId: string) => (await fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
const start = (input: Record<string, unknown>) => h.start(trip.event, { data: input });
const rollbackEnded = (runId: string) =>
  until(`rollback of ${runId} to end`, async () => {
    const s = await as(viewer).recovery.rollbackStatus({ runId });
    return s.rollback && s.rollback.status !== "running" && s;
  });

describe("automatic rollback on failure", () => {
  it("runs completed steps' compensations newest first, as durable steps of the run, and ends it rolled back", async () => {
    const runId = await start({ failAt: "confirm" });
    const run = await finished(runId);
    expect(run.status).toBe("failed");
    expect(JSON.stringify(run.error)).toContain("confirmation service down (rolled back)");
    expect(undoneIn(runId)).toEqual(["charge", "hotel", "flight"]);
    // Each undo got its own step's recorded result.
    expect(undone.find((u) => u.runId === runId && u.stepId === "hotel")?.output).toEqual({
      ref: "H-1",
      failUndo: false,
    });

    const s = await as(viewer).recovery.rollbackStatus({ runId });
    expect(s.rollback).toMatchObject({ status: "rolled_back", reason: "automatic", failedStepId: null });
    expect(s.needsAttention).toBe(false);
    expect(s.compensations.map((c) => [c.stepId, c.status, c.attempts])).toEqual([
      ["charge", "compensated", 1],
      ["hotel", "compensated", 1],
      ["flight", "compensated", 1],
    ]);
    const steps = await fresh.db
      .select({ stepId: runSteps.stepId, status: runSteps.status })
      .from(runSteps)
      .where(eq(runSteps.runId, runId));
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
    expect(JSON.stringify(run.error)).toContain(
      `partly rolled back: the compensation of \\"hotel\\" failed (the supplier refuses to cancel H-1)`,
    );
    expect(undoneIn(runId)).toEqual(["charge"]);

    const s = await as(viewer).recovery.rollbackStatus({ runId });
    expect(s.needsAttention).toBe(true);
    expect(s.rollback).toMatchObject({
      status: "partly_rolled_back",
      failedStepId: "hotel",
      error: { message: "the supplier refuses to cancel H-1" },
    });
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
    expect((await as(viewer).recovery.rollbackStatus({ runId })).compensations.map((c) => c.status)).toEqual([
      "pending",
      "pending",
      "pending",
    ]);

    const results = await Promise.allSettled([
      as(operator).recovery.rollback({ runId }),
      as(operator2).recovery.rollback({ runId }),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const e = refused[0] as TRPCError;
    expect(e.code).toBe("CONFLICT");
    const winner =
      ok[0]?.status === "fulfilled" && results[0]?.status === "fulfilled" ? operator.email : operator2.email;
    expect(publicErrorMessage(e)).toMatch(
      new RegExp(`^runId: run ${runId} is already being rolled back by ${winner.replace(".", "\\.")} \\(since `),
    );

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
    await fresh.db
      .update(runCompensations)
      .set({ output: { ref: "H-1", failUndo: false } })
      .where(and(eq(runCompensations.runId, runId), eq(runCompensations.stepId, "hotel")));
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
    expect(await errorOf(as(operator).recovery.rollback({ runId: "nope" }))).toEqual({
      code: "NOT_FOUND",
      message: "runId: no run with id nope",
    });
    expect((await errorOf(as(operator).recovery.rollback({ runId: "" }))).code).toBe("BAD_REQUEST");
    await fresh.db.update(runs).set({ status: "running" }).where(eq(runs.id, runId));
    expect(await errorOf(as(operator).recovery.rollback({ runId }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: `runId: run ${runId} is running; cancel it or let it finish before rolling it back`,
    });
  });
});
