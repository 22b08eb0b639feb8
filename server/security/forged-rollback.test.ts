import { and, count, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { auditLog, runCompensations, runRollbacks } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { defineWorkflow } from "@/inngest/functions/define";
import { verifyAuditChain } from "@/server/audit/chain";
import { ROLLBACK_EVENT } from "@/server/recovery/rollback";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * Issue 13, finding 5: a rollback acts only on a request row that wflo's rollback service wrote
 * with its audit row. An event named like the rollback request, sent to the engine with the
 * app's own client (the engine accepts it: the internal key), rolls nothing back and writes
 * nothing; the real path still works, is audited and records who asked from the session.
 * On the embedded engine with the real SDK; the undos log what they did in this process.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const undone: { runId: string; stepId: string }[] = [];
const undoneIn = (runId: string) => undone.filter((u) => u.runId === runId).map((u) => u.stepId);
const undo = async (_output: unknown, ctx: { runId: string; stepId: string }) => {
  undone.push(ctx);
  return { undone: ctx.stepId };
};

const order = defineWorkflow(
  {
    id: "test-order",
    name: "Order (test saga)",
    description: "Reserves stock and charges a card; both can be undone.",
    event: "test/order.requested",
    retries: 0,
    input: z.object({}),
    compensate: { reserve: undo, charge: undo },
  },
  async ({ step }) => {
    await step.run("reserve", async () => ({ ref: "R-1" }));
    await step.run("charge", async () => ({ ref: "C-1" }));
    return { ok: true };
  },
);

const { h, operator, viewer } = await openHarness(() => startRunsHarness({ extraFunctions: [order.fn] }), {
  operator: ["op@example.com", "operator"],
  viewer: ["viewer@example.com", "viewer"],
});

async function completedOrder(): Promise<string> {
  const runId = await h.start("test/order.requested", { by: operator });
  await h.until("the order to complete", async () => (await h.statusOf(runId)) === "completed");
  return runId;
}

/** The system run an event started, once it has ended (whatever it did). */
async function systemRunEnded(eventId: string): Promise<string> {
  return h.until(`the system run of event ${eventId} to end`, async () => {
    const rows = await h.fresh.db.execute<{ status: string }>(
      sql`select status from engine_runs where event->>'id' = ${eventId} and function_id like '%run-rollback'`,
    );
    const s = rows[0]?.status;
    return s && s !== "running" ? s : undefined;
  });
}

const auditCount = async () => (await h.fresh.db.select({ n: count() }).from(auditLog))[0]!.n;
const compensationsOf = (runId: string) =>
  h.fresh.db
    .select({ stepId: runCompensations.stepId, status: runCompensations.status, attempts: runCompensations.attempts })
    .from(runCompensations)
    .where(eq(runCompensations.runId, runId));

describe("a forged rollback request", () => {
  it("sent to the engine with the app's own client rolls nothing back and writes nothing", async () => {
    const runId = await completedOrder();
    const audits = await auditCount();
    const { ids } = await inngest.send({
      name: ROLLBACK_EVENT,
      data: { runId, workflowId: "test-order", requestedByEmail: "ceo@example.com" },
    });
    await systemRunEnded(ids[0]!);

    expect(undoneIn(runId)).toEqual([]);
    expect((await compensationsOf(runId)).map((c) => [c.status, c.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
    ]);
    expect(await h.fresh.db.select().from(runRollbacks).where(eq(runRollbacks.runId, runId))).toEqual([]);
    expect(await auditCount()).toBe(audits);
  });

  it("the real rollback is audited and names who asked (from the session); replaying its event for the finished request does nothing more", async () => {
    const runId = await completedOrder();
    const res = await h.as(operator).recovery.rollback({ runId });
    expect(res.compensations.sort()).toEqual(["charge", "reserve"]);
    const done = await h.until("the rollback to end", async () => {
      const [r] = await h.fresh.db.select().from(runRollbacks).where(eq(runRollbacks.runId, runId));
      return r && r.status !== "running" ? r : undefined;
    });
    expect(done).toMatchObject({
      status: "rolled_back",
      reason: "operator",
      requestedByEmail: operator.email,
      requestedById: operator.id,
    });
    expect(undoneIn(runId)).toEqual(["charge", "reserve"]);
    const [audit] = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "run.rollback"), eq(auditLog.targetId, runId)));
    expect(audit).toMatchObject({
      actorEmail: operator.email,
      after: { compensations: ["charge", "reserve"], requestId: done.requestId },
    });
    expect(await verifyAuditChain(h.fresh.db)).toMatchObject({ ok: true });

    // Someone who saw the request's id sends its event again: the request is no longer open.
    const before = await compensationsOf(runId);
    const { ids } = await inngest.send({
      name: ROLLBACK_EVENT,
      data: { runId, requestId: done.requestId, workflowId: "test-order", requestedByEmail: "ceo@example.com" },
    });
    await systemRunEnded(ids[0]!);
    expect(await compensationsOf(runId)).toEqual(before);
    expect(undoneIn(runId)).toEqual(["charge", "reserve"]);
    expect((await h.fresh.db.select().from(runRollbacks).where(eq(runRollbacks.runId, runId)))[0]).toMatchObject({
      requestedByEmail: operator.email,
    });

    expect((await h.as(viewer).recovery.rollbackStatus({ runId })).rollback).toMatchObject({
      status: "rolled_back",
      requestedByEmail: operator.email,
    });
  });
});
