import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, publicErrorMessage, type SessionUser } from "@/server/api/trpc";
import { createApiKey } from "@/server/apikeys/service";
import type { Route } from "@/server/rest/route";
import { getApprovalRoute, listApprovalsRoute, requestApprovalRoute } from "@/server/rest/routes";
import { requestApproval } from "./request";

/**
 * Issue 13, finding 6: a 30 MB `details` on POST /api/v1/approvals was stored and then served to
 * every queue poll. `details` and `payload` are capped (64 KiB as JSON each) wherever an approval
 * is asked for, and the queue lists leave them out: the detail view has them.
 */

let fresh: FreshDb;
let admin: SessionUser;
let key: string;

beforeAll(async () => {
  fresh = await freshDatabase();
  // The REST handlers use the process-wide database, as in production.
  process.env.DATABASE_URL = fresh.url;
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  admin = { id: row!.id, email: row!.email, name: row!.name, role: "admin" };
  key = (await createApiKey(fresh.db, admin, { name: "bot", role: "admin" })).secret;
});
afterAll(async () => fresh?.drop());

const caller = () => appRouter.createCaller(createInnerContext({ db: fresh.db, user: admin }));
const count = async () => (await fresh.db.select().from(approvals)).length;
const big = () => ({ blob: "x".repeat(70 * 1024) });

type Body = {
  error?: string;
  field?: string;
  approval?: Record<string, unknown>;
  approvals?: Record<string, unknown>[];
};
async function rest(
  route: Route,
  init: { body?: unknown; path?: string; query?: string } = {},
): Promise<{ status: number; body: Body }> {
  const res = await route.handle(
    new Request(`http://wflo.test/api/v1${init.path ?? route.path}${init.query ?? ""}`, {
      method: route.method,
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: route.method === "POST" ? JSON.stringify(init.body) : undefined,
    }),
    { params: Promise.resolve(init.path ? { id: init.path.split("/").pop()! } : {}) },
  );
  return { status: res.status, body: (await res.json()) as Body };
}

describe("approval details and payload are capped", () => {
  it.each(["details", "payload"] as const)(
    "POST /approvals with a %s over 64 KiB: 400 naming the field and the cap, nothing stored",
    async (field) => {
      const before = await count();
      const r = await rest(requestApprovalRoute, {
        body: { title: "Refund", workflow: "billing-agent", [field]: big() },
      });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe(field);
      expect(r.body.error).toMatch(
        new RegExp(`^${field}: ${field} must be at most 65536 bytes as JSON \\(got \\d+\\)$`),
      );
      expect(await count()).toBe(before);
    },
  );

  it.each(["details", "payload"] as const)(
    "wflo.approval with a %s over 64 KiB is refused naming the gate and the field, nothing stored",
    async (field) => {
      const before = await count();
      const ask = requestApproval(fresh.db, {
        runId: "run-big",
        workflowId: "billing-agent",
        gate: "refund",
        triggeredBy: null,
        options: { action: "Refund", [field]: big() },
      });
      await expect(ask).rejects.toThrow(
        new RegExp(`^wflo.approval\\("refund"\\): ${field} must be at most 65536 bytes as JSON \\(got \\d+\\)$`),
      );
      expect(await count()).toBe(before);
    },
  );
});

describe("an approver's edited payload is capped too", () => {
  it("approvals.decide with an edited payload over 64 KiB: 400 naming payload, still pending", async () => {
    const made = await rest(requestApprovalRoute, {
      body: { title: "Pay invoice", workflow: "billing-agent", risk: "high", allowEdit: true, payload: { amount: 1 } },
    });
    const id = made.body.approval!.id as string;
    const [u] = await fresh.db
      .insert(users)
      .values({ email: "approver@example.com", name: "Approver", role: "approver", passwordHash: "x" })
      .returning();
    const approver = appRouter.createCaller(
      createInnerContext({ db: fresh.db, user: { id: u!.id, email: u!.email, name: u!.name, role: "approver" } }),
    );
    const err = await approver.approvals
      .decide({ approvalId: id, decision: "approve", payload: big() })
      .catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(publicErrorMessage(err as never)).toMatch(
      /^payload: payload must be at most 65536 bytes as JSON \(got \d+\)$/,
    );
    expect((await caller().approvals.get({ approvalId: id })).approval.status).toBe("pending");
  });
});

describe("the queue omits details and payload; the detail view has them", () => {
  it("tRPC and REST lists leave them out, get returns them", async () => {
    const details = { why: "double charge", diff: { before: { a: 1 }, after: { a: 2 } } };
    const payload = { orderId: 1042, amountUsd: 120 };
    const made = await rest(requestApprovalRoute, {
      body: { title: "Refund $120", workflow: "billing-agent", risk: "high", details, payload },
    });
    expect(made.status).toBe(201);
    const id = made.body.approval!.id as string;

    const queue = await caller().approvals.list({ view: "pending" });
    const item = queue.find((a) => a.id === id) as Record<string, unknown> | undefined;
    expect(item).toMatchObject({ id, action: "Refund $120", risk: "high" });
    expect(item).not.toHaveProperty("details");
    expect(item).not.toHaveProperty("payload");
    expect(item).not.toHaveProperty("editedPayload");

    const listed = await rest(listApprovalsRoute);
    const restItem = listed.body.approvals!.find((a) => a.id === id)!;
    expect(restItem).toMatchObject({ id, link: `/approvals/${id}`, decision: { final: false } });
    expect(restItem).not.toHaveProperty("details");
    expect(restItem).not.toHaveProperty("payload");
    expect(restItem.decision).not.toHaveProperty("payload");

    expect((await caller().approvals.get({ approvalId: id })).approval).toMatchObject({ details, payload });
    const one = await rest(getApprovalRoute, { path: `/approvals/${id}` });
    expect(one.body.approval).toMatchObject({ details, payload, decision: { payload } });
  });
});
