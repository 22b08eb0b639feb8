import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approvals, budgets, llmCalls, reservations, spans, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { errorOf } from "@/server/api/testing/error-of";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { createApiKey } from "@/server/apikeys/service";
import { createMetrics } from "@/server/metrics/metrics";
import type { Route } from "@/server/rest/route";
import {
  ingestSpansRoute,
  listApprovalsRoute,
  recordLlmCallRoute,
  requestApprovalRoute,
  reserveRoute,
} from "@/server/rest/routes";
import { handleOtlpTraces } from "@/server/tracing/otlp/handler";
import { createRateLimiter } from "@/server/tracing/otlp/rate-limit";

/**
 * Issue 13, finding 10: a NUL byte or a lone surrogate in any text field used to reach
 * PostgreSQL and come back as a 500. Every edge now answers 400 naming the field, and nothing is
 * written. One test per endpoint the issue names: users and budgets (tRPC), approvals, budgets
 * and spans (REST), spans (OTLP JSON and protobuf).
 */

let fresh: FreshDb;
let admin: SessionUser;
let key: string;

beforeAll(async () => {
  fresh = await freshDatabase();
  // The REST and OTLP handlers use the process-wide database, as in production.
  process.env.DATABASE_URL = fresh.url;
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  admin = { id: row!.id, email: row!.email, name: row!.name, role: "admin" };
  key = (await createApiKey(fresh.db, admin, { name: "bot", role: "admin" })).secret;
});
afterAll(async () => fresh?.drop());

const count = async (
  table: typeof users | typeof budgets | typeof approvals | typeof reservations | typeof spans | typeof llmCalls,
) => (await fresh.db.select().from(table)).length;
const caller = () => appRouter.createCaller(createInnerContext({ db: fresh.db, user: admin }));
const LONE = "\uD800";

async function rest(
  route: Route,
  body: unknown,
  query = "",
): Promise<{ status: number; body: { error?: string; code?: string; field?: string } }> {
  const res = await route.handle(
    new Request(`http://wflo.test/api/v1${route.path}${query}`, {
      method: route.method,
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: route.method === "POST" ? JSON.stringify(body) : undefined,
    }),
    { params: Promise.resolve({}) },
  );
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

describe("tRPC: one check over every procedure's raw input", () => {
  it("users.create with a NUL byte in the name: 400 naming the field, no user", async () => {
    const before = await count(users);
    expect(
      await errorOf(
        caller().users.create({
          email: "nul@example.com",
          name: "Mal\0lory",
          role: "viewer",
          password: "a long enough password",
        }),
      ),
    ).toEqual({ code: "BAD_REQUEST", message: "name: must not contain a NUL byte" });
    expect(await count(users)).toBe(before);
  });

  it("governance.budgets.create with a lone surrogate in a nested field: 400 naming it, no budget", async () => {
    const before = await count(budgets);
    const err = await errorOf(
      caller().governance.budgets.create({
        name: `team ${LONE}`,
        scope: "global",
        period: "day",
        limitUsd: "5",
      } as never),
    );
    expect(err).toEqual({ code: "BAD_REQUEST", message: "name: must not contain a lone UTF-16 surrogate" });
    expect(await count(budgets)).toBe(before);
  });
});

describe("REST: bodies and queries", () => {
  it("POST /approvals with a NUL byte in the title or deep in details: 400 naming the field, no approval", async () => {
    const r1 = await rest(requestApprovalRoute, { title: "refund\0", workflow: "refunds" });
    expect(r1).toEqual({
      status: 400,
      body: { error: "title: must not contain a NUL byte", code: "BAD_REQUEST", field: "title" },
    });
    const r2 = await rest(requestApprovalRoute, {
      title: "refund",
      workflow: "refunds",
      details: { items: [{ note: "ok" }, { note: `x${LONE}` }] },
    });
    expect(r2.status).toBe(400);
    expect(r2.body.error).toBe("details.items[1].note: must not contain a lone UTF-16 surrogate");
    expect(await count(approvals)).toBe(0);
  });

  it("POST /budget/reservations and /llm-calls with a NUL byte: 400 naming the field, nothing held or recorded", async () => {
    const r = await rest(reserveRoute, { runId: "run-1", stepId: "s\0", estimateNano: "1000" });
    expect(r).toEqual({
      status: 400,
      body: { error: "stepId: must not contain a NUL byte", code: "BAD_REQUEST", field: "stepId" },
    });
    const c = await rest(recordLlmCallRoute, {
      runId: "run-1",
      stepId: "s",
      tags: ["a", "b\0"],
      model: "gpt-4o",
      usage: { inputTokens: 1, outputTokens: 1 },
    });
    expect(c.body.error).toBe("tags[1]: must not contain a NUL byte");
    expect(await count(reservations)).toBe(0);
    expect(await count(llmCalls)).toBe(0);
  });

  it("a query string with a NUL byte: 400 naming the parameter", async () => {
    const r = await rest(listApprovalsRoute, undefined, "?status=pending%00");
    expect(r).toEqual({
      status: 400,
      body: { error: "status: must not contain a NUL byte", code: "BAD_REQUEST", field: "status" },
    });
  });

  it("POST /spans with a NUL byte in an attribute: 400 naming the attribute, no span", async () => {
    const r = await rest(ingestSpansRoute, {
      spans: [{ traceId: "t-1", spanId: "s-1", name: "call", startTime: 1, attributes: { "user.note": "a\0b" } }],
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('spans[0].attributes["user.note"]: must not contain a NUL byte');
    expect(await count(spans)).toBe(0);
  });
});

describe("OTLP: /api/v1/traces refuses the whole request, naming the span and the attribute", () => {
  const deps = { limiter: createRateLimiter(100_000), metrics: createMetrics() };
  const otlp = (body: Uint8Array<ArrayBuffer> | string, type: string) =>
    handleOtlpTraces(
      fresh.db,
      new Request("http://wflo.test/api/v1/traces", {
        method: "POST",
        headers: { "content-type": type, authorization: `Bearer ${key}` },
        body,
      }),
      deps,
    );
  const request = (note: string) => ({
    resourceSpans: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "agent" } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: "ab".repeat(16),
                spanId: "cd".repeat(8),
                name: "llm",
                startTimeUnixNano: "1000",
                attributes: [{ key: "user.note", value: { stringValue: note } }],
              },
            ],
          },
        ],
      },
    ],
  });

  it("JSON with a lone surrogate (as a JSON escape) in a span attribute: 400 naming it, no span", async () => {
    const res = await otlp(JSON.stringify(request(`x${LONE}`)), "application/json");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes["user.note"]: must not contain a lone UTF-16 surrogate',
    );
    expect(await count(spans)).toBe(0);
  });

  it("protobuf with a NUL byte in a span attribute: 400 naming it, no span", async () => {
    const root = protobuf.Root.fromJSON({
      nested: {
        Req: { fields: { resourceSpans: { rule: "repeated", type: "RS", id: 1 } } },
        RS: { fields: { scopeSpans: { rule: "repeated", type: "SS", id: 2 } } },
        SS: { fields: { spans: { rule: "repeated", type: "Span", id: 2 } } },
        Span: {
          fields: {
            traceId: { type: "bytes", id: 1 },
            spanId: { type: "bytes", id: 2 },
            name: { type: "string", id: 5 },
            startTimeUnixNano: { type: "fixed64", id: 7 },
            attributes: { rule: "repeated", type: "KV", id: 9 },
          },
        },
        KV: { fields: { key: { type: "string", id: 1 }, value: { type: "AV", id: 2 } } },
        AV: { fields: { stringValue: { type: "string", id: 1 } } },
      },
    });
    const Req = root.lookupType("Req");
    const msg = Req.fromObject({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from("ab".repeat(16), "hex"),
                  spanId: Buffer.from("cd".repeat(8), "hex"),
                  name: "llm",
                  startTimeUnixNano: 1000,
                  attributes: [{ key: "user.note", value: { stringValue: "a\0b" } }],
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await otlp(new Uint8Array(Req.encode(msg).finish()), "application/x-protobuf");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].attributes["user.note"]: must not contain a NUL byte',
    );
    expect(await count(spans)).toBe(0);
  });
});
