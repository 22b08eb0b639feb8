import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { approvalDecisions, auditLog, users } from "@/db/schema";
import { errorOf } from "@/server/api/testing/error-of";
import { startGateHarness } from "@/server/approvals/testing/harness";
import { openHarness } from "@/server/runs/testing/runs-harness";

/**
 * Issue 13, finding 8 (keys): an API key acts for its creator. In separation of duties (an
 * admin's key cannot approve a gate of a run that admin triggered), in N-of-M counting (two keys
 * of one admin are one approver), and in life (a key stops working when its creator is
 * deactivated, and the keys page says so). Through the real REST route handlers, on the engine.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, admin, operator, approver } = await openHarness(startGateHarness, {
  admin: ["root@example.com", "admin"],
  operator: ["op@example.com", "operator"],
  approver: ["ann@example.com", "approver"],
});

async function decide(secret: string, approvalId: string, body: Record<string, unknown>) {
  const { POST } = await import("@/app/api/v1/approvals/[id]/decision/route");
  const res = await POST(
    new Request(`http://x/api/v1/approvals/${approvalId}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { params: Promise.resolve({ id: approvalId }) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("an API key acts for its creator", () => {
  it("an admin's key cannot approve a high-risk gate of a run that admin triggered (as in the browser); rejecting it is allowed and the vote names the creator and the key", async () => {
    const own = await h.as(admin).apiKeys.create({ name: "root-bot", role: "admin" });
    const runId = await h.start("maintenance/cleanup.requested", {}, admin);
    const gate = await h.pendingGate(runId, "delete-old-records");
    expect(gate.allowSelfApproval).toBe(false);

    expect(await decide(own.secret, gate.id, { decision: "approve", comment: "mine" })).toEqual({
      status: 403,
      body: {
        code: "FORBIDDEN",
        error: `this API key acts for ${admin.email}, who started this run, so it cannot approve its own high-risk gate; another approver must`,
      },
    });
    expect(
      await h.fresh.db.select().from(approvalDecisions).where(eq(approvalDecisions.approvalId, gate.id)),
    ).toHaveLength(0);
    expect((await h.approval(gate.id)).status).toBe("pending");

    const other = await h.as(admin).apiKeys.create({ name: "spare", role: "approver" });
    // Rejecting one's own gate is allowed (only approving is self-approval), and the key is recorded on the vote.
    expect(await decide(other.secret, gate.id, { decision: "reject", comment: "not like this" })).toMatchObject({
      status: 200,
      body: { status: "rejected", final: true },
    });
    const [vote] = await h.fresh.db.select().from(approvalDecisions).where(eq(approvalDecisions.approvalId, gate.id));
    expect(vote).toMatchObject({ deciderId: admin.id, apiKeyId: other.key.id, deciderKind: "api_key" });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
  });

  it("two keys of one admin count as one approver of a 2-of-2 gate; a second person completes it", async () => {
    const first = await h.as(admin).apiKeys.create({ name: "bot-1", role: "admin" });
    const second = await h.as(admin).apiKeys.create({ name: "bot-2", role: "admin" });
    const runId = await h.start("test/critical-gate", {}, operator);
    const gate = await h.pendingGate(runId, "drop-database");
    expect(gate.approvalsNeeded).toBe(2);

    expect(await decide(first.secret, gate.id, { decision: "approve", comment: "backup verified" })).toMatchObject({
      status: 200,
      body: { status: "pending", approvals: 1, final: false },
    });
    expect(await decide(second.secret, gate.id, { decision: "approve", comment: "again" })).toEqual({
      status: 409,
      body: {
        code: "CONFLICT",
        error: `${admin.email} already approved this (through another API key or the panel); it needs 2 distinct approvers`,
      },
    });
    // The panel counts the same person once too.
    expect(
      await errorOf(h.as(admin).approvals.decide({ approvalId: gate.id, decision: "approve", comment: "me again" })),
    ).toEqual({ code: "CONFLICT", message: "you already approved this; it needs 2 distinct approvers" });
    expect((await h.approval(gate.id)).status).toBe("pending");

    expect(
      await h
        .as(approver)
        .approvals.decide({ approvalId: gate.id, decision: "approve", comment: "second pair of eyes" }),
    ).toMatchObject({ status: "approved", approvals: 2, final: true });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
    const audit = await h.fresh.db.select().from(auditLog).where(eq(auditLog.targetId, gate.id));
    expect(
      audit.find((a) => a.action === "approval.approve" && a.actorEmail.startsWith("api-key:bot-1"))?.after,
    ).toMatchObject({ via: "api_key", apiKeyId: first.key.id, actsFor: admin.email });
  });

  it("a key stops working when its creator is deactivated (403 naming why), and the keys page shows it inactive", async () => {
    const boss = await h.user("boss@example.com", "admin");
    const key = await h.as(boss).apiKeys.create({ name: "boss-bot", role: "approver" });
    const runId = await h.start("maintenance/cleanup.requested", {}, operator);
    const gate = await h.pendingGate(runId, "delete-old-records");

    await h.fresh.db.update(users).set({ active: false }).where(eq(users.id, boss.id));
    expect(await decide(key.secret, gate.id, { decision: "approve" })).toEqual({
      status: 403,
      body: {
        code: "FORBIDDEN",
        error: `this API key's creator ${boss.email} is deactivated; a key acts for its creator and stops working with them`,
      },
    });
    expect((await h.approval(gate.id)).status).toBe("pending");
    const listed = (await h.as(admin).apiKeys.list()).find((k) => k.id === key.key.id);
    expect(listed).toMatchObject({ revokedAt: null, creatorActive: false, status: "creator deactivated" });

    await h.as(approver).approvals.decide({ approvalId: gate.id, decision: "reject", comment: "later" });
    await h.until("the run to complete", async () => (await h.engineRun(runId))?.status === "completed");
  });
});
