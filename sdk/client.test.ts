import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey } from "@/server/apikeys/service";
import { startRestServer, type RestServer } from "@/server/rest/testing/http-server";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import { WfloApiError, WfloClient } from "./client";

/**
 * WfloClient over real HTTP against the /api/v1 route handlers, on a fresh database and the
 * embedded engine: a run that pauses at an approval gate is found, its prompt read and it is
 * resumed; runs are read, re-run and replayed; every failure is a WfloApiError with the
 * server's status, code and message.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let server: RestServer;
let operator: WfloClient;
let approver: WfloClient;
let viewer: WfloClient;

beforeAll(async () => {
  h = await startRunsHarness();
  server = await startRestServer();
  const admin = await h.user("admin@example.com", "admin");
  // The approver key is another person's: a key acts for its creator, so one admin's keys never approve each other's runs or requests.
  const approverOwner = await h.user("approver-owner@example.com", "approver");
  const key = async (role: "operator" | "approver" | "viewer") =>
    (await createApiKey(h.fresh.db, role === "approver" ? approverOwner : admin, { name: `sdk-${role}`, role })).secret;
  operator = new WfloClient({ baseUrl: server.url, apiKey: await key("operator") });
  approver = new WfloClient({ baseUrl: `${server.url}/`, apiKey: await key("approver") });
  viewer = new WfloClient({ baseUrl: server.url, apiKey: await key("viewer") });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

async function failure(p: Promise<unknown>): Promise<WfloApiError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WfloApiError);
  return e as WfloApiError;
}

describe("a paused run, from outside the panel", () => {
  it("listPausedRuns -> getApprovalPrompt (by run id and by approval id) -> approve(runId) -> the run completes; trace and budgets read", async () => {
    const started = await operator.triggerRun({
      workflowId: "cleanup-records",
      input: { table: "temp_uploads", olderThanDays: 45 },
      budgetUsd: 3,
    });
    expect(started).toMatchObject({ workflowId: "cleanup-records", eventId: expect.any(String) });
    const runId = started.runId ?? (await operator.runForEvent(started.eventId));

    const paused = await h.until("the run to pause at its gate", async () =>
      (await viewer.listPausedRuns()).find((p) => p.run.id === runId),
    );
    expect(paused.run).toMatchObject({ id: runId, workflowId: "cleanup-records", status: "waiting" });
    expect(paused.approvals).toHaveLength(1);
    const approval = paused.approvals[0]!;

    const prompt = await viewer.getApprovalPrompt(runId);
    expect(prompt).toMatchObject({
      id: approval.id,
      runId,
      gate: "delete-old-records",
      status: "pending",
      risk: "high",
      link: `/approvals/${approval.id}`,
    });
    expect(prompt.action).toMatch(/^Delete [\d,]+ rows from temp_uploads$/);
    expect(await viewer.getApprovalPrompt(approval.id)).toEqual(prompt);

    const denied = await failure(viewer.approve(runId));
    expect(denied).toMatchObject({
      status: 403,
      code: "FORBIDDEN",
      message: "this key's role (viewer) lacks the permission approvals:decide",
    });

    expect(await approver.approve(runId, { comment: "from the SDK" })).toEqual({
      approvalId: approval.id,
      status: "approved",
      approvals: 1,
      approvalsNeeded: 1,
      final: true,
    });
    const decided = await approver.getApproval(approval.id);
    expect(decided.decisions).toMatchObject([{ decision: "approve", comment: "from the SDK" }]);
    await h.until("the run to complete", async () => (await h.statusOf(runId)) === "completed");
    expect((await viewer.listPausedRuns()).find((p) => p.run.id === runId)).toBeUndefined();
    const noPrompt = await failure(viewer.getApprovalPrompt(runId));
    expect(noPrompt).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
      message: `run ${runId} is not waiting for an approval`,
    });

    const run = await viewer.getRun(runId);
    expect(run).toMatchObject({ status: "completed", result: { deleted: 2359 }, cost: { runId, totalNano: "0" } });
    expect(run.steps.map((s) => s.stepId)).toContain("count-old-records");
    const trace = await viewer.getTrace(runId);
    expect(trace).toMatchObject({ runId, terminal: true });
    expect(await viewer.listBudgets()).toEqual({ budgets: [] });
    expect(
      (await viewer.listRuns({ workflowId: "cleanup-records", status: "completed", limit: 5 })).items.map((r) => r.id),
    ).toContain(runId);
  });

  it("reject(approvalId) stops the run; cancelRun a waiting one", async () => {
    const a = await operator.triggerRun({ workflowId: "cleanup-records" });
    const first = a.runId ?? (await operator.runForEvent(a.eventId));
    const prompt = await h.until("the gate", async () => viewer.getApprovalPrompt(first).catch(() => undefined));
    expect(await approver.reject(prompt.id, { comment: "not today" })).toMatchObject({
      approvalId: prompt.id,
      status: "rejected",
      final: true,
    });
    await h.until("the rejected run to end", async () =>
      ["completed", "failed"].includes((await h.statusOf(first)) ?? ""),
    );

    const b = await operator.triggerRun({ workflowId: "cleanup-records" });
    const second = b.runId ?? (await operator.runForEvent(b.eventId));
    await h.until("the second run to wait", async () => (await h.statusOf(second)) === "waiting");
    expect(await operator.cancelRun(second)).toEqual({ runId: second, status: "cancelled" });
  });
});

describe("approvals requested from outside wflo", () => {
  it("requestApproval -> waitForDecision long-polls until an approver decides (with their edit of the payload); a short timeout returns it still pending", async () => {
    const asked = await operator.requestApproval({
      title: "Refund $120 to order 1042",
      workflow: "support-agent",
      payload: { orderId: 1042, amountUsd: 120 },
      allowEdit: true,
      risk: "high",
    });
    expect(asked.approval).toMatchObject({
      status: "pending",
      workflowId: "support-agent",
      runId: null,
      decision: { final: false, approved: null },
    });
    const id = asked.approval.id;

    const early = await operator.waitForDecision(id, { timeoutMs: 1_200 });
    expect(early.approval.decision.final).toBe(false);

    const waiting = operator.waitForDecision(id);
    const prompt = await approver.getApprovalPrompt(id);
    expect(prompt).toMatchObject({
      id,
      action: "Refund $120 to order 1042",
      payload: { orderId: 1042, amountUsd: 120 },
      allowEdit: true,
    });
    await approver.approve(id, { comment: "half now", payload: { orderId: 1042, amountUsd: 60 } });
    const decided = await waiting;
    expect(decided.approval.decision).toMatchObject({
      final: true,
      approved: true,
      comment: "half now",
      payload: { orderId: 1042, amountUsd: 60 },
      timedOut: false,
    });
    expect(decided.approval.decision.decidedBy).toMatch(/^api-key:sdk-approver/);
  });
});

describe("rerun and replay", () => {
  it("rerun starts a new run of the same input (with a budget override); replay reports no divergence", async () => {
    const t = await operator.triggerRun({ workflowId: "hello", input: { name: "sdk" } });
    const runId = t.runId ?? (await operator.runForEvent(t.eventId));
    await h.until("the run", async () => (await h.statusOf(runId)) === "completed");

    const again = await operator.rerun(runId, { budgetUsd: "0.25" });
    expect(again).toMatchObject({ workflowId: "hello", rerunOf: runId, runId: expect.any(String) });
    await h.until("the re-run", async () => (await h.statusOf(again.runId!)) === "completed");
    expect(await viewer.getRun(again.runId!)).toMatchObject({ result: { message: "Hello, sdk!" } });

    expect(await operator.replay(runId)).toMatchObject({
      runId,
      workflowId: "hello",
      stepsReplayed: 1,
      divergence: null,
      outputMatches: true,
    });
  });
});

describe("WfloApiError", () => {
  it("carries the server's status, code, message and field", async () => {
    expect(await failure(operator.getRun("no-such-run"))).toMatchObject({
      status: 404,
      code: "NOT_FOUND",
      message: "no run with id no-such-run",
    });
    expect(
      await failure(operator.triggerRun({ workflowId: "cleanup-records", input: { olderThanDays: 3 } })),
    ).toMatchObject({
      status: 400,
      code: "BAD_REQUEST",
      field: "olderThanDays",
      message: "olderThanDays: olderThanDays must be at least 30",
    });
    expect(await failure(viewer.rerun("whatever"))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const wrongKey = new WfloClient({ baseUrl: server.url, apiKey: "wflo_wrong" });
    expect(await failure(wrongKey.listBudgets())).toMatchObject({
      status: 401,
      code: "UNAUTHORIZED",
      message: "missing, unknown or revoked API key (send Authorization: Bearer <key>)",
    });
  });

  it("status 0 UNREACHABLE when nothing listens; bad options are refused at construction", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const e = await failure(new WfloClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: "wflo_x" }).listRuns());
    expect(e).toMatchObject({
      status: 0,
      code: "UNREACHABLE",
      message: `cannot reach http://127.0.0.1:${port}: ECONNREFUSED`,
    });
    expect(() => new WfloClient({ baseUrl: "localhost:3000", apiKey: "k" })).toThrow(
      "baseUrl must start with http:// or https:// (got localhost:3000)",
    );
    expect(() => new WfloClient({ baseUrl: "http://localhost:3000", apiKey: "" })).toThrow(/^apiKey is required/);
  });
});
