import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { and, eq, inArray } from "drizzle-orm";
import { approvals, auditLog, governanceNotifications } from "@/db/schema";
import { WfloApiError, WfloClient } from "@/sdk/client";
import type { SessionUser } from "@/server/api/trpc";
import { createApiKey } from "@/server/apikeys/service";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import { openApiDocument } from "./openapi";
import { restRoutes } from "./routes";

/**
 * POST /api/v1/approvals with an Idempotency-Key, through the real route handler on a fresh
 * database: a retried or duplicated request asks a person once, whatever the timing.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let admin: SessionUser;
let keyA: string;
let keyB: string;
let approver: string;

const route = restRoutes.find((r) => r.operationId === "requestApproval")!;
const decideRoute = restRoutes.find((r) => r.operationId === "decideApproval")!;

beforeAll(async () => {
  h = await startRunsHarness();
  admin = await h.user("admin@example.com", "admin");
  keyA = (await createApiKey(h.fresh.db, admin, { name: "agent-a", role: "operator" })).secret;
  keyB = (await createApiKey(h.fresh.db, admin, { name: "agent-b", role: "operator" })).secret;
  // Another person's bot: a key acts for its creator, so the agents' creator could not approve their requests.
  const approverOwner = await h.user("approver-owner@example.com", "approver");
  approver = (await createApiKey(h.fresh.db, approverOwner, { name: "approver-bot", role: "approver" })).secret;
});
afterAll(async () => h?.close());

type Res = {
  status: number;
  body: Record<string, unknown> & {
    error?: string;
    code?: string;
    field?: string;
    approval?: { id: string; status: string; decision: { final: boolean; approved: boolean | null } };
    decisions?: unknown[];
  };
};

async function post(key: string, body: unknown, idempotencyKey?: string): Promise<Res> {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${key}` };
  if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
  const res = await route.handle(
    new Request("http://wflo.test/api/v1/approvals", { method: "POST", headers, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) },
  );
  return { status: res.status, body: (await res.json()) as Res["body"] };
}

const refund = (order: number) => ({
  title: `Refund $120 to order ${order}`,
  workflow: "billing-agent",
  payload: { orderId: order, amountUsd: 120 },
  risk: "high" as const,
  timeout: "10m",
});
const rowsFor = (title: string) => h.fresh.db.select().from(approvals).where(eq(approvals.action, title));
const auditFor = (ids: string[]) =>
  h.fresh.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, "approval.request"), inArray(auditLog.targetId, ids)));

describe("POST /approvals with Idempotency-Key", () => {
  it("a retry returns the first request's approval with 200 and the same body shape; it shows its decision once made", async () => {
    const first = await post(keyA, refund(1), "retry-1");
    expect(first.status).toBe(201);
    const id = first.body.approval!.id;
    expect(first.body).toMatchObject({
      approval: { id, status: "pending", decision: { final: false } },
      decisions: [],
    });

    const retry = await post(keyA, refund(1), "retry-1");
    expect(retry.status).toBe(200);
    expect(Object.keys(retry.body).sort()).toEqual(Object.keys(first.body).sort());
    expect(Object.keys(retry.body.approval!).sort()).toEqual(Object.keys(first.body.approval!).sort());
    expect(retry.body).toMatchObject({ approval: { id, status: "pending" }, decisions: [] });

    // The same request spelled differently (key order, an explicit default) is the same request.
    const { payload, ...rest } = refund(1);
    expect(
      (await post(keyA, { name: "external", ...rest, payload: { amountUsd: 120, orderId: 1 } }, "retry-1")).status,
    ).toBe(200);
    expect(await rowsFor(refund(1).title)).toHaveLength(1);

    // Decided meanwhile: the retry says so, as GET would.
    const decided = await decideRoute.handle(
      new Request(`http://wflo.test/api/v1/approvals/${id}/decision`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${approver}` },
        body: JSON.stringify({ decision: "approve" }),
      }),
      { params: Promise.resolve({ id }) },
    );
    expect(decided.status).toBe(200);
    const late = await post(keyA, refund(1), "retry-1");
    expect(late).toMatchObject({
      status: 200,
      body: { approval: { id, status: "approved", decision: { final: true, approved: true } } },
    });
    expect(late.body.decisions).toHaveLength(1);

    // Without a key nothing changes: each POST is a new request.
    const a = await post(keyA, refund(2));
    const b = await post(keyA, refund(2));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.approval!.id).not.toBe(b.body.approval!.id);
  });

  it("five identical POSTs at once create exactly one approval, one audit entry and one notification", async () => {
    const body = refund(3);
    const all = await Promise.all(Array.from({ length: 5 }, () => post(keyA, body, "burst-3")));
    const ids = new Set(all.map((r) => r.body.approval?.id));
    expect(ids.size).toBe(1);
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);

    const rows = await rowsFor(body.title);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe([...ids][0]);
    expect(await auditFor([rows[0]!.id])).toHaveLength(1);
    const notes = await h.fresh.db
      .select()
      .from(governanceNotifications)
      .where(eq(governanceNotifications.kind, "approval_requested"));
    expect(notes.filter((n) => (n.details as { approvalId?: string }).approvalId === rows[0]!.id)).toHaveLength(1);
  });

  it("the same key with a different body: 409 naming the key and the first approval; nothing stored", async () => {
    const first = await post(keyA, refund(4), "change-4");
    expect(first.status).toBe(201);
    const id = first.body.approval!.id;
    const other = await post(keyA, { ...refund(4), payload: { orderId: 4, amountUsd: 999 } }, "change-4");
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("CONFLICT");
    expect(other.body.error).toBe(
      `Idempotency-Key "change-4" was already used by this API key for a different request (approval ${id}, "Refund $120 to order 4"); send a new key for a new request, or the same body to get that approval back`,
    );
    expect(await rowsFor(refund(4).title)).toHaveLength(1);

    // Racing with a different body: one wins, the other is refused, never a second approval.
    const raced = await Promise.all([
      post(keyA, refund(5), "race-5"),
      post(keyA, { ...refund(5), risk: "low" }, "race-5"),
    ]);
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await rowsFor(refund(5).title)).toHaveLength(1);
  });

  it("different API keys with the same Idempotency-Key are independent", async () => {
    const [a, b] = await Promise.all([post(keyA, refund(6), "shared-6"), post(keyB, refund(6), "shared-6")]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.approval!.id).not.toBe(b.body.approval!.id);
    const rows = await rowsFor(refund(6).title);
    expect(rows.map((r) => r.requestedByEmail).sort()).toEqual([
      expect.stringMatching(/^api-key:agent-a/),
      expect.stringMatching(/^api-key:agent-b/),
    ]);
    // And each key's retry finds its own.
    expect((await post(keyB, refund(6), "shared-6")).body.approval!.id).toBe(b.body.approval!.id);
    expect((await post(keyA, refund(6), "shared-6")).body.approval!.id).toBe(a.body.approval!.id);
  });

  it("a bad header is 400 naming it, and stores nothing", async () => {
    const blank = await post(keyA, refund(7), "");
    expect(blank).toEqual({
      status: 400,
      body: {
        code: "BAD_REQUEST",
        field: "Idempotency-Key",
        error:
          "Idempotency-Key: the Idempotency-Key header must not be empty (leave it out, or send 1 to 200 characters)",
      },
    });
    expect((await post(keyA, refund(7), "   ")).status).toBe(400);
    const long = await post(keyA, refund(7), "k".repeat(201));
    expect(long).toEqual({
      status: 400,
      body: {
        code: "BAD_REQUEST",
        field: "Idempotency-Key",
        error: "Idempotency-Key: the Idempotency-Key header must be at most 200 characters (got 201)",
      },
    });
    expect(await rowsFor(refund(7).title)).toHaveLength(0);
    expect((await post(keyA, refund(7), "k".repeat(200))).status).toBe(201);
  });

  it("the SDK sends the key: a retry after a lost answer gets the same approval; a different request under it is WfloApiError 409", async () => {
    let lose = 1;
    // The real route handler answers; the first answer is lost on the way back (the network blip).
    const blip: typeof fetch = async (input, init) => {
      const res = await route.handle(new Request(input as string, init), { params: Promise.resolve({}) });
      if (lose-- > 0) throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
      return res;
    };
    const client = new WfloClient({ baseUrl: "http://wflo.test", apiKey: keyA, fetch: blip });
    const idempotencyKey = "sdk-8";
    const lost = await client.requestApproval(refund(8), { idempotencyKey }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(WfloApiError);
    expect((lost as WfloApiError).code).toBe("UNREACHABLE");
    const again = await client.requestApproval(refund(8), { idempotencyKey });
    const rows = await rowsFor(refund(8).title);
    expect(rows.map((r) => r.id)).toEqual([again.approval.id]);
    expect(rows[0]!.idempotencyKey).toBe(idempotencyKey);

    const clash = await client
      .requestApproval({ ...refund(8), risk: "low" }, { idempotencyKey })
      .catch((e: unknown) => e);
    expect(clash).toMatchObject({ status: 409, code: "CONFLICT" });
  });

  it("the OpenAPI document says how: the header, 200 on a retry, 409 on a different body", () => {
    const op = (
      openApiDocument() as {
        paths: Record<string, Record<string, { description?: string; responses: Record<string, unknown> }>>;
      }
    ).paths["/approvals"]!.post!;
    expect(op.description).toMatch(/Idempotency-Key/);
    expect(op.description).toMatch(/status 200/);
    expect(Object.keys(op.responses)).toContain("409");
  });
});
