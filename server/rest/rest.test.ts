import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROLES, type Role } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { createApiKey, revokeApiKey } from "@/server/apikeys/service";
import { can } from "@/server/auth/permissions";
import { createBudget, getCostBreakdown } from "@/server/governance";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import { openApiDocument } from "./openapi";
import type { Route } from "./route";
import { restRoutes, routeFileOf } from "./routes";

/**
 * Every /api/v1 route through its real handler (`route.handle` is what the route file
 * exports), on a fresh database and the embedded engine: keys, roles, bodies, ids, and the
 * success paths down to what the services stored.
 */
vi.hoisted(async () => (await import("@/server/runs/testing/engine-port")).claimEnginePort());

let h: RunsHarness;
let admin: SessionUser;
const keys = {} as Record<Role | "revoked", string>;

beforeAll(async () => {
  h = await startRunsHarness();
  admin = await h.user("admin@example.com", "admin");
  for (const role of ROLES) keys[role] = (await createApiKey(h.fresh.db, admin, { name: `${role}-bot`, role })).secret;
  const revoked = await createApiKey(h.fresh.db, admin, { name: "old-bot", role: "admin" });
  await revokeApiKey(h.fresh.db, admin, revoked.key.id);
  keys.revoked = revoked.secret;
});
afterAll(async () => h?.close());

type Call = { key?: string | null; params?: Record<string, string>; query?: Record<string, string>; body?: unknown; rawBody?: string };

async function call(route: Route, c: Call = {}): Promise<{ status: number; body: Record<string, unknown> & { error?: string; code?: string; field?: string } }> {
  let url = `http://wflo.test/api/v1${route.path}`;
  for (const [k, v] of Object.entries(c.params ?? {})) url = url.replace(`{${k}}`, encodeURIComponent(v));
  if (c.query) url += `?${new URLSearchParams(c.query)}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (c.key) headers.authorization = `Bearer ${c.key}`;
  const body = route.method === "POST" ? (c.rawBody ?? JSON.stringify(c.body ?? {})) : undefined;
  const res = await route.handle(new Request(url, { method: route.method, headers, body }), { params: Promise.resolve(c.params ?? {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string; code?: string } };
}

const byId = (op: string) => {
  const r = restRoutes.find((x) => x.operationId === op);
  if (!r) throw new Error(`no route ${op}`);
  return r;
};
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";
/** Params that parse, for the auth checks (which come before any lookup). */
const someParams = (r: Route) => (r.path.includes("{id}") ? { id: UNKNOWN_UUID } : undefined);

describe("every route: keys and roles", () => {
  it.each(restRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))("%s: 401 without a key, with a wrong key and with a revoked key; 403 for every role without its permission", async (_name, r) => {
    for (const key of [null, "wflo_not-a-real-key", "not even the format", keys.revoked]) {
      const res = await call(r, { key, params: someParams(r) });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: "missing, unknown or revoked API key (send Authorization: Bearer <key>)", code: "UNAUTHORIZED" });
    }
    for (const role of ROLES.filter((x) => !can(x, r.permission))) {
      const res = await call(r, { key: keys[role], params: someParams(r), body: {} });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: `this key's role (${role}) lacks the permission ${r.permission}`, code: "FORBIDDEN" });
    }
  });

  it("every route file exports exactly the handler of its route", async () => {
    for (const r of restRoutes) {
      const mod = (await import(/* @vite-ignore */ path.resolve(routeFileOf(r.path)))) as Record<string, unknown>;
      expect(mod[r.method], `${r.method} ${routeFileOf(r.path)}`).toBe(r.handle);
    }
  });
});

describe("bad input: 400 naming the field, 404 naming the id", () => {
  const cases: [op: string, c: Call, status: number, error: RegExp | string][] = [
    ["triggerRun", { body: { input: {} } }, 400, "workflowId: workflowId is required"],
    ["triggerRun", { body: { workflowId: "nope" } }, 400, /^workflowId: no workflow named "nope"; this app serves .*cleanup-records/],
    ["triggerRun", { body: { workflowId: "cleanup-records", input: { olderThanDays: 3 } } }, 400, "olderThanDays: olderThanDays must be at least 30"],
    ["triggerRun", { body: { workflowId: "hello", budgetUsd: "ten" } }, 400, /^budgetUsd: /],
    ["triggerRun", { rawBody: "{not json" }, 400, "body must be JSON"],
    ["listRuns", { query: { limit: "0" } }, 400, "limit: limit must be at least 1"],
    ["listRuns", { query: { status: "done" } }, 400, /^status: status must be one of: /],
    ["listRuns", { query: { from: "yesterday" } }, 400, /^from: from must be an ISO 8601 date-time/],
    ["getRun", { params: { id: "run-that-does-not-exist" } }, 404, "no run with id run-that-does-not-exist"],
    ["getRunTrace", { params: { id: "run-that-does-not-exist" } }, 404, "no run with id run-that-does-not-exist"],
    ["cancelRun", { params: { id: "run-that-does-not-exist" } }, 404, "no run with id run-that-does-not-exist"],
    ["listApprovals", { query: { risk: "extreme" } }, 400, /^risk: risk must be one of: /],
    ["getApproval", { params: { id: "abc" } }, 400, "id: id must be an approval id (a UUID)"],
    ["getApproval", { params: { id: UNKNOWN_UUID } }, 404, `no approval with id ${UNKNOWN_UUID}`],
    ["decideApproval", { params: { id: UNKNOWN_UUID }, body: { decision: "maybe" } }, 400, "decision: decision must be approve or reject"],
    ["decideApproval", { params: { id: UNKNOWN_UUID }, body: { decision: "approve" } }, 404, `no approval with id ${UNKNOWN_UUID}`],
    ["recordLlmCall", { body: { runId: "ext-1", stepId: "s", model: "gpt-4o", usage: { inputTokens: -1, outputTokens: 2 } } }, 400, "usage.inputTokens: usage.inputTokens must not be negative"],
    ["recordLlmCall", { body: { stepId: "s", model: "gpt-4o", usage: { inputTokens: 1, outputTokens: 2 } } }, 400, "runId: runId must be text"],
    ["reserveBudget", { body: { runId: "ext-1", stepId: "s", estimateNano: "1.5" } }, 400, /^estimateNano: /],
    ["settleReservation", { params: { id: "r1" }, body: {} }, 400, "id: id must be a reservation id (a UUID)"],
    ["settleReservation", { params: { id: UNKNOWN_UUID }, body: { model: "gpt-4o", usage: { inputTokens: 1, outputTokens: 1 } } }, 404, `reservationId: no reservation ${UNKNOWN_UUID}`],
  ];
  it.each(cases)("%s %j -> %i %s", async (op, c, status, error) => {
    const r = byId(op);
    const res = await call(r, { key: keys.admin, ...c });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(status === 400 ? "BAD_REQUEST" : "NOT_FOUND");
    if (typeof error === "string") expect(res.body.error).toBe(error);
    else expect(res.body.error).toMatch(error);
  });

  it("a refused trigger sends nothing", async () => {
    const before = await h.eventCount();
    expect((await call(byId("triggerRun"), { key: keys.operator, body: { workflowId: "nope" } })).status).toBe(400);
    expect(await h.eventCount()).toBe(before);
  });
});

describe("runs and approvals, end to end", () => {
  it("trigger -> status -> approval list/get -> decide (approver key) -> result, steps, cost, trace; the key is who triggered it", async () => {
    const t = await call(byId("triggerRun"), { key: keys.operator, body: { workflowId: "cleanup-records", input: { table: "session_logs" }, budgetUsd: "2.50", requireApproval: true } });
    expect(t.status).toBe(202);
    expect(t.body).toMatchObject({ workflowId: "cleanup-records", eventId: expect.any(String), runId: expect.any(String) });
    const runId = t.body.runId as string;

    const byEvent = await call(byId("listRuns"), { key: keys.viewer, query: { eventId: t.body.eventId as string } });
    expect((byEvent.body.items as { id: string }[]).map((x) => x.id)).toEqual([runId]);
    const list = await call(byId("listRuns"), { key: keys.viewer, query: { workflowId: "cleanup-records", limit: "5" } });
    expect((list.body.items as { id: string; triggeredByEmail: string }[]).find((x) => x.id === runId)?.triggeredByEmail).toMatch(/^api-key:operator-bot/);

    const pending = await h.until("the delete gate", async () => {
      const res = await call(byId("listApprovals"), { key: keys.viewer, query: { runId } });
      return (res.body.approvals as { id: string; gate: string }[]).find((a) => a.gate === "delete-old-records");
    });
    const one = await call(byId("getApproval"), { key: keys.viewer, params: { id: pending.id } });
    expect(one.body).toMatchObject({ approval: { id: pending.id, runId, status: "pending", link: `/approvals/${pending.id}` }, decisions: [] });

    const decided = await call(byId("decideApproval"), { key: keys.approver, params: { id: pending.id }, body: { decision: "approve", comment: "ok from REST" } });
    expect(decided).toMatchObject({ status: 200, body: { approvalId: pending.id, status: "approved", final: true } });
    const again = await call(byId("decideApproval"), { key: keys.approver, params: { id: pending.id }, body: { decision: "approve" } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");

    await h.until("the run to complete", async () => (await h.statusOf(runId)) === "completed");
    const run = await call(byId("getRun"), { key: keys.viewer, params: { id: runId } });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ status: "completed", result: { deleted: expect.any(Number) }, error: null, cost: { runId, totalNano: "0", calls: 0, budgetNano: null } });
    expect((run.body.steps as { name: string }[]).length).toBeGreaterThan(2);

    const trace = await call(byId("getRunTrace"), { key: keys.viewer, params: { id: runId } });
    expect(trace.status).toBe(200);
    expect(trace.body).toMatchObject({ runId, terminal: true });
    expect((trace.body.spans as unknown[]).length).toBeGreaterThan(2);

    const late = await call(byId("cancelRun"), { key: keys.operator, params: { id: runId } });
    expect(late).toMatchObject({ status: 412, body: { code: "PRECONDITION_FAILED", error: `run ${runId} is already completed` } });
  });

  it("cancel a waiting run", async () => {
    const t = await call(byId("triggerRun"), { key: keys.operator, body: { workflowId: "cleanup-records" } });
    const runId = t.body.runId as string;
    await h.until("the run to wait", async () => (await h.statusOf(runId)) === "waiting");
    expect(await call(byId("cancelRun"), { key: keys.operator, params: { id: runId } })).toEqual({ status: 200, body: { runId, status: "cancelled" } });
    expect(await h.statusOf(runId)).toBe("cancelled");
  });
});

describe("budgets and external LLM calls", () => {
  it("lists budgets; reserve is refused with 402 over a budget; reserve -> settle prices and records; /llm-calls records in one step", async () => {
    const b = await createBudget(h.fresh.db, admin, { name: "rest tag", scope: "tag", scopeValue: "rest-test", period: "day", limitUsd: "0.01" });
    const list = await call(byId("listBudgets"), { key: keys.viewer });
    expect(list.status).toBe(200);
    expect((list.body.budgets as { id: string; limitNano: string }[]).find((x) => x.id === b.id)).toMatchObject({ limitNano: "10000000", limitUsd: "0.01" });

    const scope = { runId: "ext-run-1", stepId: "summarise", workflow: "my-agent", tags: ["rest-test"] };
    const over = await call(byId("reserveBudget"), { key: keys.operator, body: { ...scope, estimateNano: "20000000" } });
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({ code: "BUDGET_EXCEEDED", details: { scope: "tag", scopeValue: "rest-test", limitNano: "10000000" } });
    expect(over.body.error).toMatch(/^budget exceeded: tag "rest-test" per day limit/);

    const r = await call(byId("reserveBudget"), { key: keys.operator, body: { ...scope, estimateNano: 5_000_000, model: "gpt-4o-mini" } });
    expect(r).toMatchObject({ status: 201, body: { amountNano: "5000000", status: "active", reused: false } });
    const usage = { inputTokens: 1000, outputTokens: 500 };
    const s = await call(byId("settleReservation"), { key: keys.operator, params: { id: r.body.reservationId as string }, body: { model: "gpt-4o-mini", usage, latencyMs: 120 } });
    expect(s).toMatchObject({ status: 200, body: { outcome: "settled", priceSource: "catalogue", callId: expect.any(Number) } });
    const cost = BigInt(s.body.costNano as string);
    expect(cost).toBeGreaterThan(0n);
    const twice = await call(byId("settleReservation"), { key: keys.operator, params: { id: r.body.reservationId as string }, body: { model: "gpt-4o-mini", usage } });
    expect(twice.body.outcome).toBe("already");

    const rec = await call(byId("recordLlmCall"), { key: keys.operator, body: { ...scope, stepId: "answer", model: "gpt-4o-mini", usage } });
    expect(rec).toMatchObject({ status: 201, body: { outcome: "settled", costNano: cost.toString() } });
    const breakdown = await getCostBreakdown(h.fresh.db, "ext-run-1");
    expect(breakdown).toMatchObject({ calls: 2, totalNano: cost * 2n });
    expect(breakdown.byStep.map((x) => x.stepId).sort()).toEqual(["answer", "summarise"]);
  });
});

describe("OpenAPI", () => {
  it("the document validates as OpenAPI 3.1 and lists every route with its permission", async () => {
    const doc = openApiDocument();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const paths = doc.paths as Record<string, Record<string, { "x-wflo-permission": string; requestBody?: unknown }>>;
    for (const r of restRoutes) expect(paths[r.path]?.[r.method.toLowerCase()]?.["x-wflo-permission"]).toBe(r.permission);
    expect(JSON.stringify(paths["/runs"]?.post?.requestBody)).toContain('"workflowId"');
  });

  it("is served at /api/v1/openapi.json, and /api/v1/docs renders it without downloading anything", async () => {
    const { GET: spec } = await import("@/app/api/v1/openapi.json/route");
    expect(((await spec().json()) as { openapi: string }).openapi).toBe("3.1.0");
    const { GET: docs } = await import("@/app/api/v1/docs/route");
    const html = await docs().text();
    expect(html).toContain('"operationId":"triggerRun"');
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)=["']https?:/);
  });
});
