import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditLog, governanceNotifications, ROLES, type Role } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { createApiKey, revokeApiKey } from "@/server/apikeys/service";
import { expireOverdueExternal } from "@/server/approvals/external";
import { can } from "@/server/auth/permissions";
import { createBudget, createBudgetInput, getCostBreakdown } from "@/server/governance";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import { openApiDocument } from "./openapi";
import type { Route } from "./route";
import { restRoutes, routeFileOf } from "./routes";

/**
 * Every /api/v1 route through its real handler (`route.handle` is what the route file
 * exports), on a fresh database and the embedded engine: keys, roles, bodies, ids, and the
 * success paths down to what the services stored.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let admin: SessionUser;
const keys = {} as Record<Role | "revoked" | "scoped", string>;

beforeAll(async () => {
  h = await startRunsHarness();
  admin = await h.user("admin@example.com", "admin");
  // The approver bot is another person's: a key acts for its creator, so keys of one admin never approve each other's runs or requests.
  const approverOwner = await h.user("approver-owner@example.com", "approver");
  for (const role of ROLES)
    keys[role] = (
      await createApiKey(h.fresh.db, role === "approver" ? approverOwner : admin, { name: `${role}-bot`, role })
    ).secret;
  const revoked = await createApiKey(h.fresh.db, admin, { name: "old-bot", role: "admin" });
  await revokeApiKey(h.fresh.db, admin, revoked.key.id);
  keys.revoked = revoked.secret;
  // An admin key limited to one workflow: every refusal it gets comes from the scope, not the role.
  keys.scoped = (
    await createApiKey(h.fresh.db, admin, { name: "hello-bot", role: "admin", workflowIds: ["hello"] })
  ).secret;
});
afterAll(async () => h?.close());

type Call = {
  key?: string | null;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
};

async function call(
  route: Route,
  c: Call = {},
): Promise<{ status: number; body: Record<string, unknown> & { error?: string; code?: string; field?: string } }> {
  let url = `http://wflo.test/api/v1${route.path}`;
  for (const [k, v] of Object.entries(c.params ?? {})) url = url.replace(`{${k}}`, encodeURIComponent(v));
  if (c.query) url += `?${new URLSearchParams(c.query)}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (c.key) headers.authorization = `Bearer ${c.key}`;
  const body = route.method === "POST" ? (c.rawBody ?? JSON.stringify(c.body ?? {})) : undefined;
  const res = await route.handle(new Request(url, { method: route.method, headers, body }), {
    params: Promise.resolve(c.params ?? {}),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: string; code?: string },
  };
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
  it.each(restRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s: 401 without a key, with a wrong key and with a revoked key; 403 for every role without its permission",
    async (_name, r) => {
      for (const key of [null, "wflo_not-a-real-key", "not even the format", keys.revoked]) {
        const res = await call(r, { key, params: someParams(r) });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          error: "missing, unknown or revoked API key (send Authorization: Bearer <key>)",
          code: "UNAUTHORIZED",
        });
      }
      for (const role of ROLES.filter((x) => !can(x, r.permission))) {
        const res = await call(r, { key: keys[role], params: someParams(r), body: {} });
        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          error: `this key's role (${role}) lacks the permission ${r.permission}`,
          code: "FORBIDDEN",
        });
      }
    },
  );

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
    [
      "triggerRun",
      { body: { workflowId: "nope" } },
      400,
      /^workflowId: no workflow named "nope"; this app serves .*cleanup-records/,
    ],
    [
      "triggerRun",
      { body: { workflowId: "cleanup-records", input: { olderThanDays: 3 } } },
      400,
      "olderThanDays: olderThanDays must be at least 30",
    ],
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
    [
      "decideApproval",
      { params: { id: UNKNOWN_UUID }, body: { decision: "maybe" } },
      400,
      "decision: decision must be approve or reject",
    ],
    [
      "decideApproval",
      { params: { id: UNKNOWN_UUID }, body: { decision: "approve" } },
      404,
      `no approval with id ${UNKNOWN_UUID}`,
    ],
    [
      "recordLlmCall",
      { body: { runId: "ext-1", stepId: "s", model: "gpt-4o", usage: { inputTokens: -1, outputTokens: 2 } } },
      400,
      "usage.inputTokens: usage.inputTokens must not be negative",
    ],
    [
      "recordLlmCall",
      { body: { stepId: "s", model: "gpt-4o", usage: { inputTokens: 1, outputTokens: 2 } } },
      400,
      "runId: runId must be text",
    ],
    ["reserveBudget", { body: { runId: "ext-1", stepId: "s", estimateNano: "1.5" } }, 400, /^estimateNano: /],
    ["settleReservation", { params: { id: "r1" }, body: {} }, 400, "id: id must be a reservation id (a UUID)"],
    [
      "settleReservation",
      { params: { id: UNKNOWN_UUID }, body: { model: "gpt-4o", usage: { inputTokens: 1, outputTokens: 1 } } },
      404,
      `reservationId: no reservation ${UNKNOWN_UUID}`,
    ],
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
    const t = await call(byId("triggerRun"), {
      key: keys.operator,
      body: {
        workflowId: "cleanup-records",
        input: { table: "session_logs" },
        budgetUsd: "2.50",
        requireApproval: true,
      },
    });
    expect(t.status).toBe(202);
    expect(t.body).toMatchObject({
      workflowId: "cleanup-records",
      eventId: expect.any(String),
      runId: expect.any(String),
    });
    const runId = t.body.runId as string;

    const byEvent = await call(byId("listRuns"), { key: keys.viewer, query: { eventId: t.body.eventId as string } });
    expect((byEvent.body.items as { id: string }[]).map((x) => x.id)).toEqual([runId]);
    const list = await call(byId("listRuns"), {
      key: keys.viewer,
      query: { workflowId: "cleanup-records", limit: "5" },
    });
    expect(
      (list.body.items as { id: string; triggeredByEmail: string }[]).find((x) => x.id === runId)?.triggeredByEmail,
    ).toMatch(/^api-key:operator-bot/);

    const pending = await h.until("the delete gate", async () => {
      const res = await call(byId("listApprovals"), { key: keys.viewer, query: { runId } });
      return (res.body.approvals as { id: string; gate: string }[]).find((a) => a.gate === "delete-old-records");
    });
    const one = await call(byId("getApproval"), { key: keys.viewer, params: { id: pending.id } });
    expect(one.body).toMatchObject({
      approval: { id: pending.id, runId, status: "pending", link: `/approvals/${pending.id}` },
      decisions: [],
    });

    const decided = await call(byId("decideApproval"), {
      key: keys.approver,
      params: { id: pending.id },
      body: { decision: "approve", comment: "ok from REST" },
    });
    expect(decided).toMatchObject({ status: 200, body: { approvalId: pending.id, status: "approved", final: true } });
    const again = await call(byId("decideApproval"), {
      key: keys.approver,
      params: { id: pending.id },
      body: { decision: "approve" },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("CONFLICT");

    await h.until("the run to complete", async () => (await h.statusOf(runId)) === "completed");
    const run = await call(byId("getRun"), { key: keys.viewer, params: { id: runId } });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: "completed",
      result: { deleted: expect.any(Number) },
      error: null,
      cost: { runId, totalNano: "0", calls: 0, budgetNano: null },
    });
    expect((run.body.steps as { name: string }[]).length).toBeGreaterThan(2);

    const trace = await call(byId("getRunTrace"), { key: keys.viewer, params: { id: runId } });
    expect(trace.status).toBe(200);
    expect(trace.body).toMatchObject({ runId, terminal: true });
    expect((trace.body.spans as unknown[]).length).toBeGreaterThan(2);

    const late = await call(byId("cancelRun"), { key: keys.operator, params: { id: runId } });
    expect(late).toMatchObject({
      status: 412,
      body: { code: "PRECONDITION_FAILED", error: `run ${runId} is already completed` },
    });
  });

  it("cancel a waiting run", async () => {
    const t = await call(byId("triggerRun"), { key: keys.operator, body: { workflowId: "cleanup-records" } });
    const runId = t.body.runId as string;
    await h.until("the run to wait", async () => (await h.statusOf(runId)) === "waiting");
    expect(await call(byId("cancelRun"), { key: keys.operator, params: { id: runId } })).toEqual({
      status: 200,
      body: { runId, status: "cancelled" },
    });
    expect(await h.statusOf(runId)).toBe("cancelled");
  });
});

describe("budgets and external LLM calls", () => {
  it("lists budgets; reserve is refused with 402 over a budget; reserve -> settle prices and records; /llm-calls records in one step", async () => {
    const b = await createBudget(
      h.fresh.db,
      admin,
      createBudgetInput.parse({
        name: "rest tag",
        scope: "tag",
        scopeValue: "rest-test",
        period: "day",
        limitUsd: "0.01",
      }),
      [],
    );
    const list = await call(byId("listBudgets"), { key: keys.viewer });
    expect(list.status).toBe(200);
    expect((list.body.budgets as { id: string; limitNano: string }[]).find((x) => x.id === b.id)).toMatchObject({
      limitNano: "10000000",
      limitUsd: "0.01",
    });

    const scope = { runId: "ext-run-1", stepId: "summarise", workflow: "my-agent", tags: ["rest-test"] };
    const over = await call(byId("reserveBudget"), {
      key: keys.operator,
      body: { ...scope, estimateNano: "20000000" },
    });
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({
      code: "BUDGET_EXCEEDED",
      details: { scope: "tag", scopeValue: "rest-test", limitNano: "10000000" },
    });
    expect(over.body.error).toMatch(/^budget exceeded: tag "rest-test" per day limit/);

    const r = await call(byId("reserveBudget"), {
      key: keys.operator,
      body: { ...scope, estimateNano: 5_000_000, model: "gpt-4o-mini" },
    });
    expect(r).toMatchObject({ status: 201, body: { amountNano: "5000000", status: "active", reused: false } });
    const usage = { inputTokens: 1000, outputTokens: 500 };
    const s = await call(byId("settleReservation"), {
      key: keys.operator,
      params: { id: r.body.reservationId as string },
      body: { model: "gpt-4o-mini", usage, latencyMs: 120 },
    });
    expect(s).toMatchObject({
      status: 200,
      body: { outcome: "settled", priceSource: "catalogue", callId: expect.any(Number) },
    });
    const cost = BigInt(s.body.costNano as string);
    expect(cost).toBeGreaterThan(0n);
    const twice = await call(byId("settleReservation"), {
      key: keys.operator,
      params: { id: r.body.reservationId as string },
      body: { model: "gpt-4o-mini", usage },
    });
    expect(twice.body.outcome).toBe("already");

    const rec = await call(byId("recordLlmCall"), {
      key: keys.operator,
      body: { ...scope, stepId: "answer", model: "gpt-4o-mini", usage },
    });
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
    for (const r of restRoutes)
      expect(paths[r.path]?.[r.method.toLowerCase()]?.["x-wflo-permission"]).toBe(r.permission);
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

describe("workflow-scoped keys", () => {
  const db = () => h.fresh.db;
  const scopeError = (field: string, wf: string) =>
    `${field}: this API key is limited to the workflows "hello"; "${wf}" is not one of them`;

  it("creating one checks the ids against the registry (400 naming the unknown one), shows and audits the scope", async () => {
    const err = await h
      .as(admin)
      .apiKeys.create({ name: "typo", role: "operator", workflowIds: ["hello", "helo"] })
      .then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
    expect(err).toMatchObject({ code: "BAD_REQUEST" });
    expect(err?.message).toMatch(/^workflowIds: no workflow named "helo"; this app serves .*hello/);
    const made = await h
      .as(admin)
      .apiKeys.create({ name: "scoped-ui", role: "operator", workflowIds: ["hello", "cleanup-records", "hello"] });
    expect(made.key.workflowIds).toEqual(["cleanup-records", "hello"]);
    const listed = (await h.as(admin).apiKeys.list()).find((k) => k.id === made.key.id);
    expect(listed?.workflowIds).toEqual(["cleanup-records", "hello"]);
    const [audit] = await db()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "apikey.create"), eq(auditLog.targetId, made.key.id)));
    expect(audit?.after).toMatchObject({ workflowIds: ["cleanup-records", "hello"] });
    const unscoped = await h.as(admin).apiKeys.create({ name: "all", role: "viewer" });
    expect(unscoped.key.workflowIds).toBeNull();
  });

  it("runs: out of scope invisible (404, left out of lists) and not triggerable, cancellable or re-runnable (403 naming the workflow)", async () => {
    const other = await call(byId("triggerRun"), { key: keys.admin, body: { workflowId: "cleanup-records" } });
    const otherId = other.body.runId as string;
    await h.until("the other run to wait", async () => (await h.statusOf(otherId)) === "waiting");

    const refused = await call(byId("triggerRun"), { key: keys.scoped, body: { workflowId: "cleanup-records" } });
    expect(refused).toEqual({
      status: 403,
      body: { code: "FORBIDDEN", field: "workflowId", error: scopeError("workflowId", "cleanup-records") },
    });
    const mine = await call(byId("triggerRun"), {
      key: keys.scoped,
      body: { workflowId: "hello", input: { name: "scope" } },
    });
    expect(mine.status).toBe(202);
    const mineId = mine.body.runId as string;

    for (const op of ["getRun", "getRunTrace", "replayRun"]) {
      const res = await call(byId(op), { key: keys.scoped, params: { id: otherId } });
      expect(res, op).toMatchObject({ status: 404, body: { code: "NOT_FOUND", error: `no run with id ${otherId}` } });
    }
    expect((await call(byId("getRun"), { key: keys.scoped, params: { id: mineId } })).status).toBe(200);
    for (const op of ["cancelRun", "rerunRun"]) {
      const res = await call(byId(op), { key: keys.scoped, params: { id: otherId }, body: {} });
      expect(res, op).toEqual({
        status: 403,
        body: { code: "FORBIDDEN", field: "id", error: scopeError("id", "cleanup-records") },
      });
    }
    expect(await h.statusOf(otherId)).toBe("waiting");

    const listed = await call(byId("listRuns"), { key: keys.scoped, query: { limit: "100" } });
    const ids = (listed.body.items as { id: string; workflowId: string }[]).map((r) => r.id);
    expect(ids).toContain(mineId);
    expect(ids).not.toContain(otherId);
    expect(new Set((listed.body.items as { workflowId: string }[]).map((r) => r.workflowId))).toEqual(
      new Set(["hello"]),
    );
    expect(
      (await call(byId("listRuns"), { key: keys.scoped, query: { workflowId: "cleanup-records" } })).body.items,
    ).toEqual([]);
    expect(
      (await call(byId("listRuns"), { key: keys.scoped, query: { eventId: other.body.eventId as string } })).body.items,
    ).toEqual([]);

    // Approvals of the other workflow: invisible to read, 403 to decide.
    const gate = await h
      .until(
        "the other run's gate",
        async () =>
          (await call(byId("listApprovals"), { key: keys.admin, query: { runId: otherId } })).body.approvals as
            | { id: string }[]
            | undefined,
      )
      .then((a) => a[0]);
    expect(gate).toBeDefined();
    const gateId = (gate as { id: string }).id;
    const inScope = await call(byId("requestApproval"), {
      key: keys.scoped,
      body: { title: "Greet the board", workflow: "hello" },
    });
    expect(inScope.status).toBe(201);
    const scopedList = await call(byId("listApprovals"), { key: keys.scoped });
    expect((scopedList.body.approvals as { id: string }[]).map((a) => a.id)).toEqual([
      (inScope.body.approval as { id: string }).id,
    ]);
    expect((await call(byId("listApprovals"), { key: keys.admin })).body.approvals).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: gateId })]),
    );
    expect(await call(byId("getApproval"), { key: keys.scoped, params: { id: gateId } })).toMatchObject({
      status: 404,
      body: { error: `no approval with id ${gateId}` },
    });
    expect(
      await call(byId("decideApproval"), { key: keys.scoped, params: { id: gateId }, body: { decision: "approve" } }),
    ).toEqual({ status: 403, body: { code: "FORBIDDEN", field: "id", error: scopeError("id", "cleanup-records") } });
    expect((await call(byId("getApproval"), { key: keys.admin, params: { id: gateId } })).body.approval).toMatchObject({
      status: "pending",
    });
    const outside = await call(byId("requestApproval"), {
      key: keys.scoped,
      body: { title: "x", workflow: "cleanup-records" },
    });
    expect(outside).toEqual({
      status: 403,
      body: { code: "FORBIDDEN", field: "workflow", error: scopeError("workflow", "cleanup-records") },
    });

    // LLM calls, reservations and spans must name an in-scope workflow, and not charge another workflow's run.
    const usage = { inputTokens: 10, outputTokens: 5 };
    const noLabel = await call(byId("recordLlmCall"), {
      key: keys.scoped,
      body: { runId: "ext-s", stepId: "a", model: "gpt-4o-mini", usage },
    });
    expect(noLabel).toMatchObject({
      status: 403,
      body: {
        field: "workflow",
        error: 'workflow: this API key is limited to the workflows "hello"; name one of them in workflow',
      },
    });
    expect(
      await call(byId("recordLlmCall"), {
        key: keys.scoped,
        body: { runId: "ext-s", stepId: "a", workflow: "cleanup-records", model: "gpt-4o-mini", usage },
      }),
    ).toMatchObject({ status: 403, body: { error: scopeError("workflow", "cleanup-records") } });
    expect(
      await call(byId("reserveBudget"), {
        key: keys.scoped,
        body: { runId: otherId, stepId: "a", workflow: "hello", estimateNano: "1000" },
      }),
    ).toMatchObject({ status: 403, body: { field: "runId", error: scopeError("runId", "cleanup-records") } });
    expect(
      await call(byId("recordLlmCall"), {
        key: keys.scoped,
        body: { runId: "ext-s", stepId: "a", workflow: "hello", model: "gpt-4o-mini", usage },
      }),
    ).toMatchObject({ status: 201 });
    const foreign = await call(byId("reserveBudget"), {
      key: keys.admin,
      body: { runId: "ext-t", stepId: "a", workflow: "cleanup-records", estimateNano: "1000" },
    });
    const foreignId = foreign.body.reservationId as string;
    expect(
      await call(byId("settleReservation"), {
        key: keys.scoped,
        params: { id: foreignId },
        body: { model: "gpt-4o-mini", usage },
      }),
    ).toMatchObject({ status: 404, body: { error: `reservationId: no reservation ${foreignId}` } });
    const span = { spanId: "s1", name: "x", startTime: Date.now() };
    expect(
      await call(byId("ingestSpans"), { key: keys.scoped, body: { spans: [{ ...span, runId: otherId }] } }),
    ).toMatchObject({ status: 403, body: { error: scopeError("runId", "cleanup-records") } });
    expect(
      await call(byId("ingestSpans"), {
        key: keys.scoped,
        body: { workflow: "my-agent", spans: [{ ...span, traceId: "t-scope" }] },
      }),
    ).toMatchObject({ status: 403, body: { error: scopeError("workflow", "my-agent") } });
    expect(
      await call(byId("ingestSpans"), { key: keys.scoped, body: { spans: [{ ...span, runId: mineId }] } }),
    ).toMatchObject({ status: 201, body: { accepted: 1 } });

    await call(byId("cancelRun"), { key: keys.admin, params: { id: otherId } });
  });
});

describe("workflow-scoped keys on OTLP intake (/api/v1/traces)", () => {
  const otlp = (service: string, traceId: string) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: "00f067aa0ba902b7",
                name: "work",
                startTimeUnixNano: "1700000000000000000",
                endTimeUnixNano: "1700000000100000000",
              },
            ],
          },
        ],
      },
    ],
  });
  const send = async (key: string, body: unknown) => {
    const { POST } = await import("@/app/api/v1/traces/route");
    const res = await POST(
      new Request("http://wflo.test/api/v1/traces", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
  };

  it("a scoped key may send traces only of its workflows", async () => {
    const refused = await send(keys.scoped, otlp("my-agent", "4bf92f3577b34da6a3ce929d0e0e4736"));
    expect(refused.status).toBe(403);
    expect(refused.body.error?.message).toBe(
      'service.name: this API key is limited to the workflows "hello"; "my-agent" is not one of them',
    );
    expect((await send(keys.scoped, otlp("hello", "4bf92f3577b34da6a3ce929d0e0e4737"))).status).toBe(200);
    expect((await send(keys.operator, otlp("my-agent", "4bf92f3577b34da6a3ce929d0e0e4738"))).status).toBe(200);
  });
});

describe("external approval requests", () => {
  const request = (key: string, body: Record<string, unknown>) => call(byId("requestApproval"), { key, body });
  type Decision = {
    final: boolean;
    approved: boolean | null;
    decidedBy: string | null;
    timedOut: boolean;
    payload: Record<string, unknown>;
  };
  type Ext = {
    id: string;
    status: string;
    runId: string | null;
    external: boolean;
    workflowId: string;
    decision: Decision;
    requestedByEmail: string;
  };

  it("an agent asks, the request is queued and notified like a gate, an approver decides, and the long poll returns at once", async () => {
    const made = await request(keys.operator, {
      title: "Refund $120 to order 1042",
      description: "Customer was double-charged",
      workflow: "billing-agent",
      payload: { orderId: 1042, amountUsd: 120 },
      risk: "high",
      timeout: "10m",
    });
    expect(made.status).toBe(201);
    const a = made.body.approval as Ext;
    expect(a).toMatchObject({
      status: "pending",
      runId: null,
      external: true,
      workflowId: "billing-agent",
      gate: "external",
      action: "Refund $120 to order 1042",
      summary: "Customer was double-charged",
      risk: "high",
      deciderRole: "approver",
      requestedByEmail: expect.stringMatching(/^api-key:operator-bot/),
      link: `/approvals/${a.id}`,
      decision: { final: false, approved: null },
    });

    // Same queue and notifications as a workflow's gate.
    const approverUser = await h.user("approver-ext@example.com", "approver");
    const queue = await h.as(approverUser).approvals.list({ view: "pending" });
    expect(queue.find((q) => q.id === a.id)).toMatchObject({ external: true, runId: null });
    const notes = await h.fresh.db
      .select()
      .from(governanceNotifications)
      .where(eq(governanceNotifications.kind, "approval_requested"));
    expect(notes.find((n) => (n.details as { approvalId?: string }).approvalId === a.id)).toMatchObject({
      title: "Approval needed: Refund $120 to order 1042",
      runId: null,
      workflowId: "billing-agent",
    });
    const [requested] = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "approval.request"), eq(auditLog.targetId, a.id)));
    expect(requested?.after).toMatchObject({ external: true, workflow: "billing-agent", policyRule: "high-risk" });

    expect((await call(byId("getApproval"), { key: keys.viewer, params: { id: a.id } })).body.approval).toMatchObject({
      status: "pending",
      decision: { final: false },
    });

    const started = Date.now();
    const waiting = call(byId("getApproval"), { key: keys.operator, params: { id: a.id }, query: { wait: "30" } });
    await new Promise((r) => setTimeout(r, 800));
    const decided = await call(byId("decideApproval"), {
      key: keys.approver,
      params: { id: a.id },
      body: { decision: "approve", comment: "refund ok" },
    });
    expect(decided).toMatchObject({ status: 200, body: { status: "approved", final: true } });
    const res = await waiting;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(800);
    expect(took).toBeLessThan(5_000);
    expect(res.status).toBe(200);
    expect((res.body.approval as Ext).decision).toMatchObject({
      final: true,
      approved: true,
      decidedBy: expect.stringMatching(/^api-key:approver-bot/),
      timedOut: false,
      payload: { orderId: 1042, amountUsd: 120 },
    });
    expect(res.body.decisions).toMatchObject([{ decision: "approve", comment: "refund ok", via: "api_key" }]);
  });

  it("a wait on an undecided request answers after the wait, still pending; the requesting key cannot approve its own request; the panel's decide works", async () => {
    const made = await request(keys.admin, { title: "Rotate the prod DB password", workflow: "ops-agent" });
    const id = (made.body.approval as Ext).id;
    const started = Date.now();
    const res = await call(byId("getApproval"), { key: keys.admin, params: { id }, query: { wait: "1" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((res.body.approval as Ext).decision).toMatchObject({ final: false, approved: null });
    expect(
      await call(byId("decideApproval"), { key: keys.admin, params: { id }, body: { decision: "approve" } }),
    ).toMatchObject({
      status: 403,
      body: { error: "this API key sent this request, so it cannot approve it; another approver must" },
    });
    const approverUser = await h.user("approver-panel@example.com", "approver");
    expect(
      await h.as(approverUser).approvals.decide({ approvalId: id, decision: "reject", comment: "not now" }),
    ).toMatchObject({ status: "rejected", final: true });
    const after = await call(byId("getApproval"), { key: keys.admin, params: { id } });
    expect((after.body.approval as Ext).decision).toMatchObject({
      final: true,
      approved: false,
      decidedBy: "approver-panel@example.com",
    });
  });

  it("the policy applies: low risk is approved at once, without waiting", async () => {
    const made = await request(keys.operator, { title: "Read the weather", workflow: "ops-agent", risk: "low" });
    expect(made.status).toBe(201);
    expect(made.body.approval).toMatchObject({
      status: "auto_approved",
      policyRule: "low-risk",
      decision: { final: true, approved: true, decidedBy: "policy" },
    });
  });

  it("at the deadline the default applies (a waiting caller sees it), and the request can no longer be decided", async () => {
    const made = await request(keys.operator, {
      title: "Send the newsletter",
      workflow: "mail-agent",
      timeout: "1s",
      onTimeout: "reject",
    });
    const id = (made.body.approval as Ext).id;
    const res = await call(byId("getApproval"), { key: keys.operator, params: { id }, query: { wait: "10" } });
    expect((res.body.approval as Ext).status).toBe("expired");
    expect((res.body.approval as Ext).decision).toMatchObject({
      final: true,
      approved: false,
      timedOut: true,
      decidedBy: "timeout",
    });
    expect(
      await call(byId("decideApproval"), { key: keys.approver, params: { id }, body: { decision: "approve" } }),
    ).toMatchObject({ status: 412, body: { code: "PRECONDITION_FAILED" } });
    // Reads read: the expire-approvals cron run records the timeout (status, audit, notification), once.
    expect(await expireOverdueExternal(h.fresh.db)).toBe(1);
    expect(await expireOverdueExternal(h.fresh.db)).toBe(0);
    const audit = await h.fresh.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "approval.timeout"), eq(auditLog.targetId, id)));
    expect(audit).toHaveLength(1);
    expect((await call(byId("getApproval"), { key: keys.operator, params: { id } })).body.approval).toMatchObject({
      status: "expired",
      decision: { final: true, approved: false, timedOut: true, decidedBy: "timeout" },
    });

    // Nobody waiting: the queue reads the deadline as passed before the cron run records it.
    const late = await request(keys.operator, {
      title: "Archive logs",
      workflow: "mail-agent",
      timeout: "1s",
      onTimeout: "approve",
    });
    const lateId = (late.body.approval as Ext).id;
    await new Promise((r) => setTimeout(r, 1_300));
    const queue = await call(byId("listApprovals"), { key: keys.viewer });
    expect((queue.body.approvals as { id: string }[]).map((q) => q.id)).not.toContain(lateId);
    expect((await call(byId("getApproval"), { key: keys.viewer, params: { id: lateId } })).body.approval).toMatchObject(
      { status: "expired", decision: { approved: true, timedOut: true } },
    );
  });

  it.each([
    [{ workflow: "a" }, "title: title must be text"],
    [{ title: "  ", workflow: "a" }, "title: title must not be blank"],
    [{ title: "x" }, "workflow: workflow must be text"],
    [{ title: "x", workflow: "a", risk: "extreme" }, "risk: risk must be one of: low, medium, high, critical"],
    [{ title: "x", workflow: "a", timeout: "8d" }, "timeout: timeout must be at most 7d"],
    [{ title: "x", workflow: "a", timeout: "soon" }, "timeout: timeout must be a duration like 30s, 15m, 2h or 1d"],
    [{ title: "x", workflow: "a", payload: [1] }, "payload: payload must be a JSON object"],
    [{ title: "x", workflow: "a", onTimeout: "fail" }, "onTimeout: onTimeout must be reject or approve"],
  ])("POST /approvals %j -> 400 %s", async (body, error) => {
    expect(await request(keys.operator, body)).toEqual({
      status: 400,
      body: { code: "BAD_REQUEST", error, field: error.split(":")[0] },
    });
  });

  it("?wait must be 0..55 seconds", async () => {
    expect(
      await call(byId("getApproval"), { key: keys.viewer, params: { id: UNKNOWN_UUID }, query: { wait: "100" } }),
    ).toEqual({ status: 400, body: { code: "BAD_REQUEST", field: "wait", error: "wait: wait must be at most 55" } });
    expect(
      await call(byId("getApproval"), { key: keys.viewer, params: { id: UNKNOWN_UUID }, query: { wait: "5" } }),
    ).toMatchObject({ status: 404 });
  });
});

describe("JSON span ingest", () => {
  it("spans naming a wflo run show in its trace, GenAI usage is priced and recorded, secrets are redacted, a re-send stores nothing twice", async () => {
    const t = await call(byId("triggerRun"), {
      key: keys.operator,
      body: { workflowId: "hello", input: { name: "spans" } },
    });
    const runId = t.body.runId as string;
    await h.until("the run to complete", async () => (await h.statusOf(runId)) === "completed");
    const start = Date.now();
    const body = {
      spans: [
        {
          runId,
          spanId: "plan-1",
          name: "plan the answer",
          kind: "step",
          startTime: new Date(start).toISOString(),
          endTime: new Date(start + 40).toISOString(),
          status: "ok",
          attributes: { "agent.name": "planner", authorization: "Bearer abcdefghijklmnop" },
        },
        {
          runId,
          spanId: "llm-1",
          parentSpanId: "plan-1",
          name: "chat gpt-4o-mini",
          startTime: start + 5,
          endTime: start + 35,
          attributes: {
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 500,
            note: "called with sk-proj-abcdefghijklmnopqrstuvwx",
          },
          status: "ok",
        },
        {
          runId,
          spanId: "tool-1",
          parentSpanId: "plan-1",
          name: "search",
          kind: "tool",
          startTime: start + 36,
          endTime: start + 39,
          status: "error",
          error: { name: "TimeoutError", message: "search took too long" },
        },
      ],
    };
    const res = await call(byId("ingestSpans"), { key: keys.operator, body });
    expect(res).toEqual({
      status: 201,
      body: { accepted: 3, duplicates: 0, runs: [`/runs/${runId}`], llmCalls: 1, unknownParents: 0 },
    });

    const trace = await call(byId("getRunTrace"), { key: keys.viewer, params: { id: runId } });
    type S = {
      id: string;
      parentId: string | null;
      kind: string;
      name: string;
      status: string;
      attributes: Record<string, unknown>;
      error?: { name: string; message: string };
      llm?: { model: string; inputTokens: number; costNano: string | null };
    };
    const spans = trace.body.spans as S[];
    const byId2 = new Map(spans.map((s) => [s.id, s]));
    expect(byId2.get("otel:plan-1")).toMatchObject({
      parentId: "run",
      kind: "step",
      name: "plan the answer",
      status: "ok",
    });
    expect(byId2.get("otel:plan-1")?.attributes.authorization).toBe("[redacted]");
    const llm = byId2.get("otel:llm-1");
    expect(llm).toMatchObject({
      parentId: "otel:plan-1",
      kind: "llm",
      llm: { model: "gpt-4o-mini", inputTokens: 1000 },
    });
    expect(BigInt(llm?.llm?.costNano ?? "0")).toBeGreaterThan(0n);
    expect(JSON.stringify(llm?.attributes)).not.toContain("sk-proj-abcdefghijklmnopqrstuvwx");
    expect(byId2.get("otel:tool-1")).toMatchObject({
      kind: "tool",
      status: "error",
      error: { name: "TimeoutError", message: "search took too long" },
    });
    const cost = await getCostBreakdown(h.fresh.db, runId);
    expect(cost.calls).toBe(1);

    expect((await call(byId("ingestSpans"), { key: keys.operator, body })).body).toMatchObject({
      accepted: 0,
      duplicates: 3,
      llmCalls: 0,
    });
  });

  it("spans of your own trace become a run labelled with `workflow`", async () => {
    const res = await call(byId("ingestSpans"), {
      key: keys.operator,
      body: {
        workflow: "my-agent",
        spans: [
          {
            traceId: "trace-own-1",
            spanId: "root",
            name: "handle request",
            startTime: Date.now() - 100,
            endTime: Date.now(),
            status: "ok",
          },
        ],
      },
    });
    expect(res).toMatchObject({ status: 201, body: { accepted: 1, runs: ["/runs/trace-own-1"] } });
    const run = await call(byId("getRun"), { key: keys.viewer, params: { id: "trace-own-1" } });
    expect(run.body).toMatchObject({ status: "completed", run: { workflowId: "my-agent" } });
  });

  const span = { traceId: "t-bad", spanId: "s", name: "n", startTime: 1_700_000_000_000 };
  it.each([
    [{ spans: [] }, 400, "spans: spans must hold at least one span"],
    [{ spans: [{ ...span, spanId: undefined }] }, 400, "spans.0.spanId: spanId must be text"],
    [
      { spans: [{ ...span, spanId: "has space" }] },
      400,
      "spans.0.spanId: spanId must be a span id (letters, digits, _ . : -)",
    ],
    [
      { spans: [{ ...span, runId: "r" }] },
      400,
      "spans.0.runId: give exactly one of runId (a wflo run) or traceId (your own trace)",
    ],
    [
      { spans: [{ ...span, startTime: "yesterday" }] },
      400,
      "spans.0.startTime: startTime must be an ISO 8601 date-time (2026-01-31T12:00:00.123Z) or milliseconds since the epoch",
    ],
    [{ spans: [{ ...span, endTime: 1 }] }, 400, "spans.0.endTime: endTime must not be before startTime"],
    [{ spans: [{ ...span, kind: "db" }] }, 400, "spans.0.kind: kind must be one of: llm, tool, step, span"],
    [
      { spans: [span, { ...span, traceId: undefined, runId: "no-such-run" }] },
      404,
      "spans.1.runId: no run with id no-such-run",
    ],
    [
      { spans: [{ ...span, attributes: { big: "x".repeat(70 * 1024) } }] },
      413,
      `spans.0.attributes: attribute "big" is ${70 * 1024} bytes; the limit is 65536 (WFLO_OTLP_MAX_ATTRIBUTE_BYTES)`,
    ],
  ])("%# -> %i %s", async (body, status, error) => {
    const res = await call(byId("ingestSpans"), { key: keys.operator, body });
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(res.body.field).toBe(error.split(":")[0]);
  });
});
