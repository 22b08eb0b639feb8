import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runs, spans, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { createApiKey } from "@/server/apikeys/service";
import { hashPassword } from "@/server/auth/password";
import { createLogger } from "@/server/log";
import { getRunRoute, ingestSpansRoute } from "@/server/rest/routes";
import { ensureRun, finishRun, toRecordedError, upsertStep } from "@/server/runs/recorder";
import { toReadableSpans } from "@/server/tracing/export";
import { getTrace } from "@/server/tracing/trace";

/**
 * Issue 13, finding 9: secrets leaked into logs (SQL parameters, an argon2 hash among them) and
 * stored traces (`signkey-…`, `postgres://user:pass@`). One test feeds every secret shape wflo
 * knows through every way text leaves: logs, traces (ingested and read back), exports, and API
 * answers (a run's recorded input, output and error over tRPC and REST), and finds none of them.
 */

let fresh: FreshDb;
let admin: SessionUser;
let apiKey: string;
/** Each shape as it would be written, and the part of it that must never be seen again. */
let shapes: { name: string; text: string; secret: string }[];

const hex = (n: number) => randomBytes(n).toString("hex");
const b64 = (n: number) => randomBytes(n).toString("base64url");

beforeAll(async () => {
  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const [row] = await fresh.db
    .insert(users)
    .values({ email: "root@example.com", name: "Root", role: "admin", passwordHash: "x" })
    .returning();
  admin = { id: row!.id, email: row!.email, name: row!.name, role: "admin" };
  apiKey = (await createApiKey(fresh.db, admin, { name: "bot", role: "admin" })).secret;
  const argon = await hashPassword("correct horse battery staple");
  const dbPass = `pw${hex(8)}`;
  const webPass = `pw${hex(8)}`;
  const bearer = b64(24);
  const signProd = `signkey-prod-${hex(32)}`;
  const signTest = `signkey-test-${hex(32)}`;
  const signStaging = `signkey-staging-${hex(16)}`;
  const eventKey = `wflo-ek-${b64(32)}`;
  const internalEventKey = `wflo-ek-internal-${hex(32)}`;
  const secondApiKey = `wflo_${b64(32)}`;
  const openai = `sk-proj-${b64(24)}`;
  const jwt = `eyJ${b64(12)}.${b64(24)}.${b64(24)}`;
  const privateKey = `-----BEGIN PRIVATE KEY-----\n${b64(48)}\n-----END PRIVATE KEY-----`;
  const pw = `pw${hex(8)}`;
  shapes = [
    { name: "engine signing key", text: `key ${signProd} in use`, secret: signProd.slice(13) },
    { name: "test signing key", text: signTest, secret: signTest.slice(13) },
    { name: "signing key of another env", text: `(${signStaging})`, secret: signStaging.slice(16) },
    { name: "event key", text: `POST /e/${eventKey}`, secret: eventKey.slice(8) },
    { name: "internal event key", text: `key=${internalEventKey}`, secret: internalEventKey.slice(17) },
    { name: "API key", text: `using ${apiKey}`, secret: apiKey.slice(5) },
    { name: "another API key", text: secondApiKey, secret: secondApiKey.slice(5) },
    { name: "argon2 hash", text: `hash ${argon}`, secret: argon.split("$").at(-1)! },
    {
      name: "postgres URL with credentials",
      text: `connect postgres://wflo:${dbPass}@db.internal:5432/wflo failed`,
      secret: dbPass,
    },
    { name: "https URL with credentials", text: `fetch https://bob:${webPass}@example.com/api`, secret: webPass },
    { name: "bearer token", text: `Authorization: Bearer ${bearer}`, secret: bearer },
    { name: "OpenAI key", text: openai, secret: openai.slice(8) },
    { name: "JWT", text: jwt, secret: jwt.split(".")[1]! },
    { name: "private key", text: privateKey, secret: privateKey.split("\n")[1]! },
    { name: "password in free text", text: `login with password=${pw} now`, secret: pw },
  ];
});
afterAll(async () => fresh?.drop());

function leaks(text: string): string[] {
  return shapes.filter((s) => text.includes(s.secret)).map((s) => s.name);
}

function capturedLogger() {
  const lines: string[] = [];
  const dest = new Writable({
    write: (chunk: Buffer, _e, cb) => {
      lines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger(dest as unknown as Parameters<typeof createLogger>[0]);
  logger.level = "info";
  return { logger, text: () => lines.join("") };
}

describe("logs", () => {
  it("carry no secret shape, in messages, fields, errors or nested causes", () => {
    const { logger, text } = capturedLogger();
    for (const s of shapes) {
      logger.info(s.text);
      logger.info({ note: s.text, nested: { deeper: [s.text] } }, "a note");
      const err = new Error(`failed: ${s.text}`, { cause: new Error(`because ${s.text}`) });
      logger.error({ err }, "it failed");
      logger.error(err);
    }
    expect(leaks(text())).toEqual([]);
  });

  it("never carry SQL parameters: a failed insert's parameters (a password hash among them) stay out, also under a cause", async () => {
    const { logger, text } = capturedLogger();
    const argonHash = await hashPassword("another long password");
    // A real driver error, as users.create once produced: PostgreSQL refuses the NUL in the name.
    const failure = await fresh.db
      .insert(users)
      .values({ email: "nul@example.com", name: "Mal\0lory", role: "viewer", passwordHash: argonHash })
      .then(() => null)
      .catch((e: unknown) => e as Error);
    expect(failure).toBeInstanceOf(Error);
    logger.error({ err: failure }, "users.create failed");
    logger.error(failure!);
    logger.error({ err: new Error("tRPC internal error", { cause: failure }) });
    const out = text();
    expect(out).toContain("users.create failed");
    for (const param of [argonHash, argonHash.split("$").at(-1)!, "nul@example.com", "Mal"])
      expect(out).not.toContain(param);
  });
});

describe("traces, exports and API answers", () => {
  it("store, serve and export no secret shape", async () => {
    // Traces: the real JSON ingest path, every shape in an attribute, the name, and the error.
    const res = await ingestSpansRoute.handle(
      new Request("http://wflo.test/api/v1/spans", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({
          workflow: "agent",
          spans: shapes.map((s, i) => ({
            traceId: "trace-secrets",
            spanId: `s-${i}`,
            name: `call ${i}`,
            startTime: 1000 + i,
            endTime: 2000 + i,
            status: "error",
            attributes: { [`note.${i}`]: s.text, "gen_ai.input.messages": [{ role: "user", content: s.text }] },
            error: { message: s.text, stack: `Error: ${s.text}\n    at x` },
          })),
        }),
      }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(201);
    expect(leaks(JSON.stringify(await fresh.db.select().from(spans))), "stored span rows").toEqual([]);
    const trace = await getTrace(fresh.db, "trace-secrets");
    expect(trace?.spans.length).toBeGreaterThan(0);
    expect(
      leaks(JSON.stringify(trace, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))),
      "trace read back",
    ).toEqual([]);
    const caller = appRouter.createCaller(createInnerContext({ db: fresh.db, user: admin }));
    expect(
      leaks(
        JSON.stringify(await caller.tracing.get({ runId: "trace-secrets" }), (_k, v: unknown) =>
          typeof v === "bigint" ? v.toString() : v,
        ),
      ),
      "tracing.get",
    ).toEqual([]);

    // Exports: what an OTLP exporter would be handed.
    expect(
      leaks(JSON.stringify(toReadableSpans(trace!), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))),
      "export",
    ).toEqual([]);

    // API answers: a run whose input, step output and error carry every shape, as the recorder stores them.
    const runId = `run-${hex(6)}`;
    const all = shapes.map((s) => s.text);
    await ensureRun(fresh.db, {
      runId,
      workflowId: "hello",
      event: { id: null, name: "app/hello", data: { notes: all } },
    });
    await upsertStep(
      fresh.db,
      runId,
      { hashedId: "h1", stepId: "fetch", name: "fetch", kind: "step" },
      { status: "completed", attempt: 1, output: { notes: all } },
    );
    await upsertStep(
      fresh.db,
      runId,
      { hashedId: "h2", stepId: "call", name: "call", kind: "step" },
      { status: "failed", attempt: 1, error: toRecordedError(new Error(all.join(" | "))) },
    );
    // A step that failed on a query: the driver error, parameters and all, as the recorder keeps it.
    // (A duplicate email: the driver error's text quotes every parameter, the hash among them.)
    await fresh.db
      .insert(users)
      .values({ email: "step-param@example.com", name: "x", role: "viewer", passwordHash: "first" });
    const queryFailure = await fresh.db
      .insert(users)
      .values({ email: "step-param@example.com", name: "x", role: "viewer", passwordHash: "hash-param-value" })
      .catch((e: unknown) => e);
    await upsertStep(
      fresh.db,
      runId,
      { hashedId: "h3", stepId: "save", name: "save", kind: "step" },
      { status: "failed", attempt: 1, error: toRecordedError(queryFailure) },
    );
    await finishRun(fresh.db, runId, { status: "failed", error: toRecordedError(new Error(all.join(" | "))) });
    // Kept as recorded (replay, compensation and re-runs need the values), redacted wherever they are served.
    expect(
      leaks(JSON.stringify(await fresh.db.select().from(runs))).length,
      "the secrets were really recorded",
    ).toBeGreaterThan(0);
    const served = JSON.stringify(await caller.runs.get({ runId }), (_k, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    expect(leaks(served), "runs.get").toEqual([]);
    expect(served).toContain("Failed query: insert into");
    expect(served).not.toContain("step-param@example.com");
    expect(served).not.toContain("hash-param-value");
    const rest = await getRunRoute.handle(
      new Request(`http://wflo.test/api/v1/runs/${runId}`, { headers: { authorization: `Bearer ${apiKey}` } }),
      { params: Promise.resolve({ id: runId }) },
    );
    expect(rest.status).toBe(200);
    expect(leaks(await rest.text()), "GET /api/v1/runs/{id}").toEqual([]);
  });
});
