import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, runSteps } from "@/db/schema";
import { createApiKey } from "@/server/apikeys/service";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import type { Route } from "./route";
import { replayRunRoute, rerunRunRoute } from "./routes/run-actions";
import { triggerRun } from "./routes/runs";

/**
 * POST /runs/{id}/rerun and /runs/{id}/replay through their real handlers, on a fresh database
 * and the embedded engine: keys, unknown runs, the re-run's input and budget, and the replay's
 * divergence report against what the run recorded.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
const keys = { admin: "", operator: "", viewer: "" };

beforeAll(async () => {
  h = await startRunsHarness();
  const admin = await h.user("admin@example.com", "admin");
  for (const role of ["admin", "operator", "viewer"] as const)
    keys[role] = (await createApiKey(h.fresh.db, admin, { name: `${role}-bot`, role })).secret;
});
afterAll(async () => h?.close());

type Body = Record<string, unknown> & { error?: string; code?: string; field?: string };

async function call(
  route: Route,
  o: { key?: string | null; id?: string; body?: unknown } = {},
): Promise<{ status: number; body: Body }> {
  const url = `http://wflo.test/api/v1${route.path.replace("{id}", encodeURIComponent(o.id ?? ""))}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const res = await route.handle(
    new Request(url, {
      method: route.method,
      headers,
      body: route.method === "POST" ? JSON.stringify(o.body ?? {}) : undefined,
    }),
    { params: Promise.resolve({ id: o.id ?? "" }) },
  );
  return { status: res.status, body: (await res.json()) as Body };
}

/**
 * A completed run of `hello`, started over REST. Completed in the engine too: the middleware
 * records "completed" a moment before the engine ends the run and emits its lifecycle event
 * (inngest/function.finished), which would otherwise land inside a "nothing was sent" check.
 */
async function completedHello(name: string, budgetUsd?: string): Promise<string> {
  const t = await call(triggerRun, {
    key: keys.operator,
    body: { workflowId: "hello", input: { name }, ...(budgetUsd && { budgetUsd }) },
  });
  expect(t.status).toBe(202);
  const runId = t.body.runId as string;
  await h.until(
    `run ${runId} to complete`,
    async () => (await h.statusOf(runId)) === "completed" && (await h.engine.getRun(runId))?.status === "completed",
  );
  return runId;
}

describe.each([
  ["rerun", rerunRunRoute],
  ["replay", replayRunRoute],
] as const)("POST /runs/{id}/%s: keys and ids", (_name, route) => {
  it("401 without a key or with a wrong one; 403 for a viewer (no runs:rerun); nothing is started", async () => {
    const before = await h.eventCount();
    for (const key of [null, "wflo_not-a-real-key"]) {
      expect(await call(route, { key, id: "run-x" })).toEqual({
        status: 401,
        body: { error: "missing, unknown or revoked API key (send Authorization: Bearer <key>)", code: "UNAUTHORIZED" },
      });
    }
    expect(await call(route, { key: keys.viewer, id: "run-x" })).toEqual({
      status: 403,
      body: { error: "this key's role (viewer) lacks the permission runs:rerun", code: "FORBIDDEN" },
    });
    expect(await h.eventCount()).toBe(before);
  });

  it("404 naming an unknown run; 400 for an empty id", async () => {
    const unknown = await call(route, { key: keys.operator, id: "run-that-does-not-exist" });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: "NOT_FOUND" });
    expect(unknown.body.error).toMatch(/no run with id run-that-does-not-exist$/);
    expect(await call(route, { key: keys.operator, id: "  " })).toMatchObject({
      status: 400,
      body: { code: "BAD_REQUEST", error: "id: id must be a run id" },
    });
  });
});

describe("POST /runs/{id}/rerun", () => {
  it("starts a new run with the same input and the original's budget; returns its id; the key is who re-ran it", async () => {
    const original = await completedHello("again", "2.50");
    const r = await call(rerunRunRoute, { key: keys.operator, id: original });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      workflowId: "hello",
      rerunOf: original,
      eventId: expect.any(String),
      runId: expect.any(String),
    });
    const runId = r.body.runId as string;
    expect(runId).not.toBe(original);
    await h.until("the re-run to complete", async () => (await h.statusOf(runId)) === "completed");
    const [audit] = await h.fresh.db
      .select({ after: auditLog.after, actorEmail: auditLog.actorEmail })
      .from(auditLog)
      .where(and(eq(auditLog.action, "run.rerun"), eq(auditLog.targetId, original)));
    expect(audit).toMatchObject({
      after: { eventId: r.body.eventId, input: { name: "again" }, budgetNano: "2500000000" },
    });
    expect(audit?.actorEmail).toMatch(/^api-key:operator-bot/);
  });

  it("budgetUsd overrides the original's budget; a bad one is a 400 naming the field and starts nothing", async () => {
    const original = await completedHello("budgeted", "2.50");
    const before = await h.eventCount();
    const bad = await call(rerunRunRoute, { key: keys.operator, id: original, body: { budgetUsd: "0" } });
    expect(bad).toMatchObject({
      status: 400,
      body: {
        code: "BAD_REQUEST",
        field: "budgetUsd",
        error: "budgetUsd: budgetUsd must be more than 0 (leave it empty for no run budget)",
      },
    });
    expect(await h.eventCount()).toBe(before);

    const r = await call(rerunRunRoute, { key: keys.admin, id: original, body: { budgetUsd: 7 } });
    expect(r.status).toBe(202);
    const [row] = await h.fresh.db
      .select({ nano: sql<string>`${auditLog.after}->>'budgetNano'` })
      .from(auditLog)
      .where(and(eq(auditLog.action, "run.rerun"), sql`${auditLog.after}->>'eventId' = ${r.body.eventId as string}`));
    expect(row?.nano).toBe("7000000000");
  });
});

describe("POST /runs/{id}/replay", () => {
  it("a run today's code still follows: no divergence, the output matches, nothing new runs", async () => {
    const runId = await completedHello("replayed");
    const before = await h.eventCount();
    const r = await call(replayRunRoute, { key: keys.operator, id: runId });
    expect(r).toEqual({
      status: 200,
      body: {
        runId,
        workflowId: "hello",
        fingerprint: { recorded: expect.any(String), current: expect.any(String), changed: false },
        stepsReplayed: 1,
        divergence: null,
        outputMatches: true,
      },
    });
    expect(await h.eventCount()).toBe(before);
  });

  it("a recording that differs from today's code: the first differing step is reported", async () => {
    const runId = await completedHello("diverged");
    // The recording says the run's one step was "salute"; today's code asks for "greet".
    await h.fresh.db
      .update(runSteps)
      .set({ stepId: "salute" })
      .where(and(eq(runSteps.runId, runId), eq(runSteps.stepId, "greet")));
    const r = await call(replayRunRoute, { key: keys.operator, id: runId });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      runId,
      stepsReplayed: 1,
      outputMatches: null,
      divergence: {
        at: 0,
        expected: "salute",
        got: "greet",
        reason: `today's code asks for step "greet", which the recorded run never ran`,
      },
    });
  });
});
