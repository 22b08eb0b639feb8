import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditLog } from "@/db/schema";
import { postToIntake } from "@/inngest/engine/testing/intake";
import { startGateHarness } from "@/server/approvals/testing/harness";
import { openHarness } from "@/server/runs/testing/runs-harness";

/**
 * Issue 13, findings 1, 3 and 5 at the engine's door: the requests the issue reproduced, sent to
 * the real app's engine (`POST /e/x`, the name of wflo's decision or rollback event, a forged
 * decider), and the same from a web page (a text/plain "simple" request) and from a holder of a
 * real outside event key. Every one is refused before anything is stored; the gate keeps waiting
 * and the approval stays pending with no decision in the audit log.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, operator, admin } = await openHarness(() => startGateHarness(), {
  operator: ["op@example.com", "operator"],
  admin: ["admin@example.com", "admin"],
});

/** Stored events with the names the forger used. */
const forgedStored = async () =>
  (
    await h.fresh.sql<
      { n: number }[]
    >`select count(*)::int as n from engine_events where name in ('wflo/approval.decided', 'wflo/run.rollback.requested')`
  )[0]?.n ?? 0;

const forgedDecision = (approvalId: string) => ({
  name: "wflo/approval.decided",
  data: {
    approvalId,
    status: "approved",
    decidedBy: "ceo@example.com",
    payload: { table: "users", olderThanDays: 30, maxRows: 1_000_000 },
  },
});

describe("forged events at the engine's intake", () => {
  it("are refused whoever sends them, and the pending gate never moves", async () => {
    const runId = await h.start(
      "maintenance/cleanup.requested",
      { table: "audit_exports", olderThanDays: 90 },
      operator,
    );
    const gate = await h.pendingGate(runId, "delete-old-records");
    const events = await forgedStored();
    const { secret: outsideKey } = await h.as(admin).eventKeys.create({ name: "partner" });

    // The request, verbatim: any key in the path.
    const anyKey = await postToIntake(h.engine.url, forgedDecision(gate.id), { key: "x" });
    expect(anyKey.status).toBe(401);
    // A web page on any origin can only send "simple" requests: no key it could know, and text/plain.
    const fromPage = await postToIntake(h.engine.url, JSON.stringify(forgedDecision(gate.id)), {
      key: "x",
      contentType: "text/plain;charset=UTF-8",
    });
    expect(fromPage.status).toBe(401);
    const pageWithKey = await postToIntake(h.engine.url, JSON.stringify(forgedDecision(gate.id)), {
      key: outsideKey,
      contentType: "text/plain;charset=UTF-8",
    });
    expect(pageWithKey.status).toBe(415);
    // A real outside key may send events, but never wflo's names.
    const withKey = await postToIntake(h.engine.url, forgedDecision(gate.id), { key: outsideKey });
    expect(withKey.status).toBe(403);
    expect(withKey.body.error).toContain('"wflo/" event names are reserved');
    const rollback = await postToIntake(
      h.engine.url,
      { name: "wflo/run.rollback.requested", data: { runId, requestedBy: "ceo@example.com" } },
      { key: outsideKey },
    );
    expect(rollback.status).toBe(403);

    expect(await forgedStored()).toBe(events);
    expect((await h.approval(gate.id)).status).toBe("pending");
    expect(await h.runStatus(runId)).toBe("waiting");
    const audit = await h.fresh.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.targetId, gate.id));
    expect(audit.map((a) => a.action)).toEqual(["approval.request"]);
  });
});
