import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { approvalDecisions, auditLog } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { errorOf } from "@/server/api/testing/error-of";
import { startGateHarness } from "@/server/approvals/testing/harness";
import { openHarness } from "@/server/runs/testing/runs-harness";
import { endingGate } from "./testing/gate-functions";

/**
 * Issue 13, findings 1, 2 and 10 (approvals left pending): a gate believes only the approval row
 * the decide service committed. On the real engine with the real SDK: an event named like wflo's
 * old wake-up, sent with the app's own client (the engine accepts it: the internal key), or an
 * operator's "Send event", must not pass a pending gate; a real decision reaches the run with the
 * row's edited payload and approver; approvals of a run that ends without them are cancelled.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, operator, approver, approver2 } = await openHarness(() => startGateHarness([endingGate]), {
  operator: ["op@example.com", "operator"],
  approver: ["ann@example.com", "approver"],
  approver2: ["bob@example.com", "approver"],
});

const startCleanup = (input: Record<string, unknown> = {}) => h.start("maintenance/cleanup.requested", input, operator);

/** The payload an attacker would like to act on: another table than the approver saw. */
const forgedData = (approvalId: string) => ({
  approvalId,
  status: "approved",
  decidedBy: "ceo@example.com",
  comment: "forged",
  payload: { table: "users", olderThanDays: 30, maxRows: 1_000_000 },
  edited: true,
  policy: { version: 0, rule: null },
});

describe("a forged decision event", () => {
  it("sent to the engine with the app's own client does not pass a pending gate; the row stays pending; the real decision then applies with the row's payload and approver", async () => {
    const runId = await startCleanup({ table: "audit_exports", olderThanDays: 90 });
    const gate = await h.pendingGate(runId, "delete-old-records");

    // The engine resolves matching waits in the same transaction that stores the event, so once
    // send returns, a gate that believed the event would already be moving on.
    await inngest.send({ name: "wflo/approval.decided", data: forgedData(gate.id) });
    expect((await h.approval(gate.id)).status).toBe("pending");
    expect(await h.runStatus(runId)).toBe("waiting");

    const res = await h.as(approver2).approvals.decide({
      approvalId: gate.id,
      decision: "approve",
      comment: "ok, smaller batch",
      payload: { table: "audit_exports", olderThanDays: 120, maxRows: 50 },
    });
    expect(res).toMatchObject({ status: "approved", final: true });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    // What the run acted on is the row: the approver's edit, the approver's email, never the forged table.
    expect((await h.engineRun(runId))?.output).toEqual({
      deleted: 50,
      table: "audit_exports",
      olderThanDays: 120,
      approvedBy: approver2.email,
      comment: "ok, smaller batch",
      edited: true,
    });
    const audit = await h.fresh.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.targetId, gate.id));
    expect(audit.map((a) => a.action)).toEqual(["approval.request", "approval.approve"]);
  });

  it("an operator's runs.sendEvent with wflo's decision event name is refused (400, naming the rule) and sends nothing, after decide refused the operator", async () => {
    const runId = await startCleanup();
    const gate = await h.pendingGate(runId, "delete-old-records");
    expect((await errorOf(h.as(operator).approvals.decide({ approvalId: gate.id, decision: "approve" }))).code).toBe(
      "FORBIDDEN",
    );

    const events = await h.eventCount();
    expect(
      await errorOf(h.as(operator).runs.sendEvent({ runId, name: "wflo/approval.decided", data: forgedData(gate.id) })),
    ).toEqual({
      code: "BAD_REQUEST",
      message: 'name: name must not start with "wflo/" (reserved for wflo\'s own events)',
    });
    expect(
      await errorOf(h.as(operator).runs.sendEvent({ runId, name: "WFLO/approval.decided", data: {} })),
    ).toMatchObject({ code: "BAD_REQUEST" });
    expect(await h.eventCount()).toBe(events);
    // The run page offers no event for a gate's wait: the gate waits for a signal, not an event.
    const detail = await h.as(operator).runs.get({ runId });
    expect(detail.steps.filter((s) => s.kind === "waitForEvent" && s.status === "waiting")).toEqual([]);
    expect((await h.approval(gate.id)).status).toBe("pending");

    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "reject", comment: "no" });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    expect((await h.engineRun(runId))?.output).toMatchObject({ deleted: 0, decidedBy: approver.email });
  });

  it("a wake-up signal for a still-pending approval does not pass the gate (the row is the truth)", async () => {
    const runId = await startCleanup();
    const gate = await h.pendingGate(runId, "delete-old-records");
    // Whoever holds the engine's key could send the signal early; the gate reads the row and waits again.
    await inngest.sendSignal({ signal: `wflo-approval:${gate.id}`, data: forgedData(gate.id) }).catch(() => undefined);
    await h.until("the gate to wait again", async () => {
      const rows = await h.fresh.db.execute<{ n: number }>(
        sql`select count(*)::int as n from engine_waits where run_id = ${runId} and kind = 'signal'`,
      );
      return (rows[0]?.n ?? 0) > 0;
    });
    expect((await h.approval(gate.id)).status).toBe("pending");
    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "real one" });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    expect((await h.engineRun(runId))?.output).toMatchObject({
      approvedBy: approver.email,
      comment: "real one",
      edited: false,
    });
  });
});

describe("approvals of a run that ended", () => {
  it.each(["completed", "failed"] as const)(
    "are cancelled when the run ends %s with its gate still pending, audited, and can no longer be decided",
    async (outcome) => {
      const runId = await h.start("test/ending-gate", { outcome }, operator);
      const gate = await h.pendingGate(runId, "never-decided");
      await inngest.send({ name: "test/ending-gate.stop", data: { runId } });
      await h.until(`the run to be ${outcome}`, async () => (await h.engineRun(runId))?.status === outcome);
      await h.until("the approval to be cancelled", async () => (await h.approval(gate.id)).status === "cancelled");
      const audit = await h.fresh.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.targetId, gate.id), eq(auditLog.action, "approval.cancel")));
      expect(audit).toHaveLength(1);
      expect(await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toEqual({
        code: "PRECONDITION_FAILED",
        message: `approval ${gate.id} was cancelled with its run and can no longer be decided`,
      });
      expect(
        await h.fresh.db.select().from(approvalDecisions).where(eq(approvalDecisions.approvalId, gate.id)),
      ).toHaveLength(0);
    },
  );
});
