import type { TRPCError } from "@trpc/server";
import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { approvalDecisions, auditLog, governanceNotifications, users } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { errorOf } from "@/server/api/testing/error-of";
import { verifyAuditChain } from "@/server/audit/chain";
import { openHarness } from "@/server/runs/testing/runs-harness";
import { startGateHarness } from "./testing/harness";

/**
 * Gates on real parts: the demo and test workflows run on the embedded engine; decisions go
 * through the tRPC router (or the REST route) and reach the waiting run as a real event.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, operator, approver, approver2, viewer, admin } = await openHarness(startGateHarness, {
  operator: ["op@example.com", "operator"],
  approver: ["ann@example.com", "approver"],
  approver2: ["bob@example.com", "approver"],
  viewer: ["vic@example.com", "viewer"],
  admin: ["root@example.com", "admin"],
});

const startCleanup = (by: SessionUser, input: Record<string, unknown> = {}) =>
  h.start("maintenance/cleanup.requested", input, by);

describe("the demo workflow", () => {
  it("auto-approves the low-risk step by policy, waits at the high-risk one, and refuses the trigger user, a viewer and an operator", async () => {
    const runId = await startCleanup(approver);
    const gate = await h.pendingGate(runId, "delete-old-records");
    const snapshot = (await h.as(viewer).approvals.list({ view: "history" })).find(
      (a) => a.runId === runId && a.gate === "snapshot-table",
    );
    expect(snapshot).toMatchObject({
      status: "auto_approved",
      policyVersion: 0,
      policyRule: "low-risk",
      decidedByEmail: "policy",
    });
    expect(gate).toMatchObject({
      status: "pending",
      risk: "high",
      policyRule: "high-risk",
      allowSelfApproval: false,
      requestedByEmail: approver.email,
    });

    // A viewer sees it in the queue but the server refuses the decision.
    expect((await h.as(viewer).approvals.list({})).map((a) => a.id)).toContain(gate.id);
    expect((await h.as(viewer).approvals.pendingCount()).pending).toBeGreaterThanOrEqual(1);
    expect(await errorOf(h.as(viewer).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await errorOf(h.as(operator).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    // The person who started the run cannot approve its high-risk gate.
    expect(
      await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "mine" })),
    ).toEqual({
      code: "FORBIDDEN",
      message: "you started this run, so you cannot approve its own high-risk gate; another approver must",
    });
    expect(
      await h.fresh.db.select().from(approvalDecisions).where(eq(approvalDecisions.approvalId, gate.id)),
    ).toHaveLength(0);

    // A payload edit that breaks the gate's schema changes nothing.
    expect(
      await errorOf(
        h.as(approver2).approvals.decide({
          approvalId: gate.id,
          decision: "approve",
          payload: { table: "audit_exports", olderThanDays: 5, maxRows: 10 },
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "payload.olderThanDays: Too small: expected number to be >=30",
    });
    expect((await h.approval(gate.id)).status).toBe("pending");

    const res = await h.as(approver2).approvals.decide({
      approvalId: gate.id,
      decision: "approve",
      comment: "checked the snapshot",
      payload: { table: "audit_exports", olderThanDays: 120, maxRows: 500 },
    });
    expect(res).toMatchObject({ status: "approved", final: true });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    expect((await h.engineRun(runId))?.output).toMatchObject({
      deleted: 500,
      olderThanDays: 120,
      approvedBy: approver2.email,
      comment: "checked the snapshot",
      edited: true,
    });
    const audit = await h.fresh.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, gate.id))
      .orderBy(asc(auditLog.id));
    expect(audit.map((r) => r.action)).toEqual(["approval.request", "approval.approve"]);
    expect(await verifyAuditChain(h.fresh.db)).toMatchObject({ ok: true });
    const notes = await h.fresh.db
      .select()
      .from(governanceNotifications)
      .where(eq(governanceNotifications.runId, runId));
    expect(notes.map((n) => n.kind).sort()).toEqual(["approval_decided", "approval_requested"]);
  });

  it("lets exactly one of two approvers deciding at once win; the other is told it is already decided", async () => {
    const runId = await startCleanup(operator);
    const gate = await h.pendingGate(runId, "delete-old-records");
    const results = await Promise.allSettled([
      h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "go" }),
      h.as(approver2).approvals.decide({ approvalId: gate.id, decision: "reject", comment: "stop" }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as TRPCError).code).toBe("CONFLICT");
    expect((lost[0]!.reason as TRPCError).message).toMatch(
      /^already decided: approval .* was (approved|rejected) by (ann|bob)@example.com$/,
    );
    expect(
      await h.fresh.db.select().from(approvalDecisions).where(eq(approvalDecisions.approvalId, gate.id)),
    ).toHaveLength(1);
    await h.until("the run to finish", async () => (await h.engineRun(runId))?.status === "completed");
  });

  it("delivers a decision made before the run's wait is stored (a fast bot) without waiting for the deadline", async () => {
    const runId = await startCleanup(operator);
    const gate = await h.until(
      "the approval row",
      async () => (await h.as(viewer).approvals.list({})).find((a) => a.runId === runId),
      20_000,
    );
    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "instant" });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed", 45_000);
    expect((await h.engineRun(runId))?.output).toMatchObject({ approvedBy: approver.email, comment: "instant" });
  });

  it("cancels a cancelled run's pending approvals, and refuses deciding them", async () => {
    const runId = await startCleanup(operator);
    const gate = await h.pendingGate(runId, "delete-old-records");
    await h.as(operator).runs.cancel({ runId });
    await h.until("the approval to be cancelled", async () => (await h.approval(gate.id)).status === "cancelled");
    expect(await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toEqual({
      code: "PRECONDITION_FAILED",
      message: `approval ${gate.id} was cancelled with its run and can no longer be decided`,
    });
  });
});

describe("N-of-M and required comments", () => {
  it("needs two distinct approvers with comments for a critical gate; the same person twice does not count", async () => {
    const runId = await h.start("test/critical-gate", {}, operator);
    const gate = await h.pendingGate(runId, "drop-database");
    expect(gate).toMatchObject({ approvalsNeeded: 2, requireComment: true, policyRule: "critical-risk" });

    expect(await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toEqual({
      code: "BAD_REQUEST",
      message: "comment: a comment is required to decide this approval",
    });
    expect(
      await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "backup verified" }),
    ).toMatchObject({ status: "pending", approvals: 1, final: false });
    expect(
      await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "again" })),
    ).toEqual({
      code: "CONFLICT",
      message: "you already approved this; it needs 2 distinct approvers",
    });
    expect((await h.engineRun(runId))?.status).toBe("running");
    expect(
      await h.as(admin).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "second pair of eyes" }),
    ).toMatchObject({ status: "approved", approvals: 2, final: true });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
  });

  it("a rejection of a throwOnReject gate fails the run with a clear error", async () => {
    const runId = await h.start("test/critical-gate", {}, operator);
    const gate = await h.pendingGate(runId, "drop-database");
    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "reject", comment: "not today" });
    await h.until("the run to fail", async () => (await h.engineRun(runId))?.status === "failed");
    expect(JSON.stringify((await h.engineRun(runId))?.error)).toContain(
      `approval \\"drop-database\\" was rejected by ann@example.com: not today`,
    );
  });
});

describe("escalation and deadlines (shortened timers)", () => {
  it("escalates after the delay (widening to approvers), then rejects by default at the deadline", async () => {
    const runId = await h.start("test/escalating-gate", {}, operator);
    const gate = await h.pendingGate(runId, "wire-funds");
    expect(gate.deciderRole).toBe("admin");
    // Before escalation only admins may decide.
    expect(await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toEqual({
      code: "FORBIDDEN",
      message: "deciding this approval needs the admin role or higher; yours is approver",
    });
    await h.until("the escalation", async () => (await h.approval(gate.id)).escalatedAt, 45_000);
    expect((await h.approval(gate.id)).deciderRole).toBe("approver");
    await h.until("the deadline default", async () => (await h.engineRun(runId))?.status === "completed", 15_000);
    expect((await h.engineRun(runId))?.output).toMatchObject({
      status: "rejected",
      approved: false,
      decidedBy: "timeout",
      timedOut: true,
    });
    expect((await h.approval(gate.id)).status).toBe("expired");
    expect(await errorOf(h.as(approver).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringContaining("expired"),
    });
    // Each lifecycle step is audited exactly once, in order: the gate's steps run one after another.
    // (Without ORDER BY, PostgreSQL returns rows in no promised order; that was the "out of sequence" once seen in CI.)
    const audit = await h.fresh.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, gate.id))
      .orderBy(asc(auditLog.id));
    expect(audit.map((r) => r.action)).toEqual(["approval.request", "approval.escalate", "approval.timeout"]);
    const notes = await h.fresh.db
      .select()
      .from(governanceNotifications)
      .where(eq(governanceNotifications.runId, runId));
    expect(notes.map((n) => n.kind).sort()).toEqual(["approval_decided", "approval_escalated", "approval_requested"]);
  });

  it("fails the run at the deadline when the gate's default is fail", async () => {
    const runId = await h.start("test/failing-gate", {}, operator);
    await h.until("the run to fail", async () => (await h.engineRun(runId))?.status === "failed", 15_000);
    expect(JSON.stringify((await h.engineRun(runId))?.error)).toContain(
      "was not decided by its deadline; the gate fails the run",
    );
  });
});

describe("bad input", () => {
  it("refuses an unknown approval id and a deactivated user, changing nothing", async () => {
    expect(
      await errorOf(
        h.as(approver).approvals.decide({ approvalId: "00000000-0000-4000-8000-000000000000", decision: "approve" }),
      ),
    ).toEqual({
      code: "NOT_FOUND",
      message: "no approval with id 00000000-0000-4000-8000-000000000000",
    });
    expect(await errorOf(h.as(approver).approvals.get({ approvalId: "nope" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "approvalId: approvalId must be an approval id (a UUID)",
    });

    const runId = await startCleanup(operator);
    const gate = await h.pendingGate(runId, "delete-old-records");
    const gone = await h.user("gone@example.com", "approver");
    await h.fresh.db.update(users).set({ active: false }).where(eq(users.id, gone.id));
    expect(await errorOf(h.as(gone).approvals.decide({ approvalId: gate.id, decision: "approve" }))).toEqual({
      code: "FORBIDDEN",
      message: "your account is deactivated: deactivated users cannot decide approvals",
    });
    expect((await h.approval(gate.id)).status).toBe("pending");
    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "reject", comment: "cleanup later" });
    await h.until("the run to finish", async () => (await h.engineRun(runId))?.status === "completed");
    expect((await h.engineRun(runId))?.output).toMatchObject({ deleted: 0, reason: "not approved: cleanup later" });
  });
});

describe("the REST API with an API key", () => {
  it("lists pending approvals and decides through the same rules; viewer keys and revoked keys are refused", async () => {
    const { POST } = await import("@/app/api/v1/approvals/[id]/decision/route");
    const { GET } = await import("@/app/api/v1/approvals/route");
    const bot = await h.as(admin).apiKeys.create({ name: "chatops", role: "approver" });
    const readOnly = await h.as(admin).apiKeys.create({ name: "dashboards", role: "viewer" });
    expect(bot.secret).toMatch(/^wflo_/);
    expect(JSON.stringify(await h.fresh.db.select().from(auditLog))).not.toContain(bot.secret);

    const runId = await startCleanup(operator);
    const gate = await h.pendingGate(runId, "delete-old-records");
    const call = (secret: string | null, body?: unknown) =>
      POST(
        new Request(`http://x/api/v1/approvals/${gate.id}/decision`, {
          method: "POST",
          headers: secret ? { authorization: `Bearer ${secret}` } : {},
          body: JSON.stringify(body ?? {}),
        }),
        { params: Promise.resolve({ id: gate.id }) },
      );

    const list = await GET(
      new Request("http://x/api/v1/approvals?status=pending", {
        headers: { authorization: `Bearer ${readOnly.secret}` },
      }),
    );
    expect(list.status).toBe(200);
    expect(((await list.json()) as { approvals: { id: string }[] }).approvals.map((a) => a.id)).toContain(gate.id);

    expect((await call(null)).status).toBe(401);
    const viewerTry = await call(readOnly.secret, { decision: "approve" });
    expect(viewerTry.status).toBe(403);
    const badBody = await call(bot.secret, { decision: "maybe" });
    expect(badBody.status).toBe(400);
    expect(await badBody.json()).toEqual({
      error: "decision: decision must be approve or reject",
      code: "BAD_REQUEST",
      field: "decision",
    });

    const ok = await call(bot.secret, { decision: "approve", comment: "approved from Slack" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "approved", final: true });
    const again = await call(bot.secret, { decision: "approve" });
    expect(again.status).toBe(409);
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    expect((await h.engineRun(runId))?.output).toMatchObject({ approvedBy: `api-key:chatops (${bot.key.prefix}…)` });

    const keys = await h.as(admin).apiKeys.list();
    expect(keys.find((k) => k.id === bot.key.id)?.lastUsedAt).not.toBeNull();
    await h.as(admin).apiKeys.revoke({ keyId: bot.key.id });
    expect((await call(bot.secret, { decision: "approve" })).status).toBe(401);
    expect(await errorOf(h.as(admin).apiKeys.revoke({ keyId: bot.key.id }))).toEqual({
      code: "CONFLICT",
      message: "this API key is already revoked",
    });
  });
});

describe("require approval for every LLM step (runs.trigger requireApproval)", () => {
  it("gates each wflo.llm call of the run; a rejection stops the run before the call", async () => {
    const { eventId } = await h.as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "gated research", questions: 1 },
      requireApproval: true,
    });
    const runId = await h.until("the run", async () => {
      const rows = await h.fresh.db.execute<{ id: string }>(
        sql`select id from engine_runs where event->>'id' = ${eventId}`,
      );
      return rows[0]?.id;
    });
    const plan = await h.pendingGate(runId, "llm:plan");
    expect(plan).toMatchObject({ risk: "medium", tool: "llm", requestedByEmail: operator.email });
    await h.as(approver).approvals.decide({ approvalId: plan.id, decision: "approve" });
    const research = await h.until("the second gate", async () =>
      (await h.as(viewer).approvals.list({})).find((a) => a.runId === runId && a.gate === "llm:research-1"),
    );
    await h.pendingGate(runId, research.gate);
    await h.as(approver).approvals.decide({ approvalId: research.id, decision: "reject", comment: "too expensive" });
    await h.until("the run to fail", async () => (await h.engineRun(runId))?.status === "failed");
    const steps = (await h.as(viewer).runs.get({ runId })).steps.map((s) => s.stepId);
    expect(steps).toContain("plan");
    expect(steps).not.toContain("research-1");
  });
});
