import http from "node:http";
import type { AddressInfo } from "node:net";
import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { closeDb } from "@/db/client";
import { auditLog, runs, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, publicErrorMessage, type SessionUser } from "@/server/api/trpc";
import { driveRun, type ServeHandler } from "./testing/sdk-driver";

/**
 * A stand-in for the Inngest server's HTTP API (event intake and run cancellation), on the port
 * the client is pointed at before any module reads it. Runs are then executed by driving the
 * real SDK serve handler with the events the router sent.
 */
const api = vi.hoisted(() => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  process.env.WFLO_ENGINE_PORT = String(port);
  return { port };
});

type SentEvent = { name: string; data: Record<string, unknown>; id: string };
const sent: SentEvent[] = [];
const cancelled: string[] = [];
let refuseEvents = false;
const unknownRuns = new Set<string>();
let server: http.Server;
let fresh: FreshDb;
let handler: ServeHandler;
let admin: SessionUser;
let operator: SessionUser;
let viewer: SessionUser;

beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += c;
    res.setHeader("content-type", "application/json");
    if (req.method === "POST" && req.url?.startsWith("/e/")) {
      if (refuseEvents) {
        res.statusCode = 500;
        return res.end(JSON.stringify({ error: "down", status: 500 }));
      }
      const events = JSON.parse(body) as Omit<SentEvent, "id">[];
      const ids = events.map((e) => {
        const id = `01EVT${Date.now()}${sent.length}`;
        sent.push({ ...e, id });
        return id;
      });
      return res.end(JSON.stringify({ ids, status: 200 }));
    }
    const cancel = req.method === "DELETE" ? /^\/v1\/runs\/([^/]+)$/.exec(req.url ?? "") : null;
    if (cancel?.[1]) {
      const runId = decodeURIComponent(cancel[1]);
      if (unknownRuns.has(runId)) {
        res.statusCode = 404;
        return res.end(JSON.stringify({ error: "run not found" }));
      }
      cancelled.push(runId);
      return res.end(JSON.stringify({ data: { run_id: runId } }));
    }
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(api.port, "127.0.0.1", r));
  expect((server.address() as AddressInfo).port).toBe(api.port);

  fresh = await freshDatabase();
  process.env.DATABASE_URL = fresh.url;
  const mk = async (email: string, role: SessionUser["role"]): Promise<SessionUser> => {
    const [u] = await fresh.db.insert(users).values({ email, name: email, role, passwordHash: "x" }).returning();
    return { id: u!.id, email: u!.email, name: u!.name, role };
  };
  admin = await mk("admin@example.com", "admin");
  operator = await mk("operator@example.com", "operator");
  viewer = await mk("viewer@example.com", "viewer");
  const { inngest } = await import("@/inngest/client");
  const { servedFunctions } = await import("@/inngest/registry");
  const served = serve({ client: inngest, functions: servedFunctions });
  handler = (req) => served.POST(req as NextRequest, undefined);
});
afterAll(async () => {
  await closeDb();
  await fresh.drop();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  refuseEvents = false;
});

const as = (user: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user }));
const auditRows = () => fresh.db.select().from(auditLog);

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return { code: e.code, message: publicErrorMessage(e) };
    throw e;
  }
  throw new Error("expected an error");
}

let runSeq = 0;
/** Executes the run an event starts, as the engine would, and returns its run id. */
async function execute(ev: SentEvent, opts: { functionId: string; stopAtWait?: boolean }) {
  const runId = `01RUN${Date.now()}${runSeq++}`;
  await driveRun({
    handler,
    functionId: opts.functionId,
    runId,
    event: { id: ev.id, name: ev.name, data: ev.data, ts: Date.now() },
    resolveWait: () => {
      if (opts.stopAtWait) throw new Error("suspended");
      return null;
    },
  }).catch((e: Error) => {
    if (e.message !== "suspended") throw e;
  });
  return runId;
}

describe("runs.trigger", () => {
  it("validates against the workflow's schema, applies defaults, sends the event with who triggered it, and audits", async () => {
    const before = (await auditRows()).length;
    const res = await as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "  vector databases  " } });
    const ev = sent.at(-1)!;
    expect(res).toEqual({ eventId: ev.id, workflowId: "research-assistant" });
    expect(ev.name).toBe("research/requested");
    expect(ev.data).toEqual({
      topic: "vector databases",
      questions: 3,
      depth: "standard",
      audience: "",
      feedbackTimeout: "2m",
      _wflo: { triggeredBy: { id: operator.id, email: operator.email } },
    });
    const audit = await auditRows();
    expect(audit.length).toBe(before + 1);
    expect(audit.at(-1)).toMatchObject({ action: "run.trigger", targetType: "workflow", targetId: "research-assistant", actorEmail: operator.email });
  });

  it("rejects an unknown workflow naming the field, and sends and stores nothing", async () => {
    const [events, audit] = [sent.length, (await auditRows()).length];
    const err = await errorOf(as(admin).runs.trigger({ workflowId: "nope", input: {} }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/^workflowId: no workflow named "nope"/);
    expect(sent.length).toBe(events);
    expect((await auditRows()).length).toBe(audit);
  });

  it("rejects input that fails the workflow's schema with the field and the rule, and sends and stores nothing", async () => {
    const [events, audit] = [sent.length, (await auditRows()).length];
    const short = await errorOf(as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "ab" } }));
    expect(short).toEqual({ code: "BAD_REQUEST", message: "topic: topic must be at least 3 characters" });
    const many = await errorOf(as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "fine topic", questions: 9, depth: "epic" } }));
    expect(many.code).toBe("BAD_REQUEST");
    expect(many.message).toContain("questions: questions must be at most 5");
    expect(many.message).toContain("depth: depth must be one of: brief, standard, thorough");
    const notObject = await errorOf(as(operator).runs.trigger({ workflowId: "hello", input: "Ada" as unknown as Record<string, unknown> }));
    expect(notObject).toEqual({ code: "BAD_REQUEST", message: "input: input must be an object" });
    expect(sent.length).toBe(events);
    expect((await auditRows()).length).toBe(audit);
    expect(await fresh.db.select().from(runs)).toHaveLength(0);
  });

  it("reports an unreachable Inngest server as a gateway error and audits nothing", async () => {
    refuseEvents = true;
    const audit = (await auditRows()).length;
    const err = await errorOf(as(operator).runs.trigger({ workflowId: "hello", input: {} }));
    expect(err.code).toBe("BAD_GATEWAY");
    expect(err.message).toMatch(/did not accept the event demo\/hello.requested/);
    expect((await auditRows()).length).toBe(audit);
  }, 30_000);
});

describe("runs.list, runs.get and runs.byEvent", () => {
  it("shows triggered runs with their steps, filters them and pages with a cursor", async () => {
    const ids: string[] = [];
    for (const name of ["one", "two", "three"]) {
      await as(operator).runs.trigger({ workflowId: "hello", input: { name } });
      ids.push(await execute(sent.at(-1)!, { functionId: "wflo-hello" }));
    }
    await as(admin).runs.trigger({ workflowId: "flaky", input: { failures: 0 } });
    const flakyEvent = sent.at(-1)!;
    const flakyRun = await execute(flakyEvent, { functionId: "wflo-flaky" });

    expect(await as(viewer).runs.byEvent({ eventId: flakyEvent.id })).toEqual([{ id: flakyRun, workflowId: "flaky", status: "completed" }]);

    const all = await as(viewer).runs.list({});
    expect(all.items.map((r) => r.id)).toEqual([flakyRun, ...ids.reverse()]);
    expect(all.items[0]).toMatchObject({ workflowName: "Flaky upstream", status: "completed", triggeredByEmail: admin.email });

    const hellos = await as(viewer).runs.list({ workflowId: "hello", limit: 2 });
    expect(hellos.items).toHaveLength(2);
    expect(hellos.nextCursor).toBeDefined();
    const rest = await as(viewer).runs.list({ workflowId: "hello", limit: 2, cursor: hellos.nextCursor });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
    expect([...hellos.items, ...rest.items].map((r) => r.id)).toEqual(ids);

    expect((await as(viewer).runs.list({ triggeredBy: "ADMIN@" })).items.map((r) => r.id)).toEqual([flakyRun]);
    expect((await as(viewer).runs.list({ status: "failed" })).items).toHaveLength(0);
    expect((await as(viewer).runs.list({ from: new Date(Date.now() + 60_000) })).items).toHaveLength(0);

    const detail = await as(viewer).runs.get({ runId: ids[0]! });
    expect(detail.run).toMatchObject({ status: "completed", workflowName: "Hello", terminal: true, triggeredByEmail: operator.email });
    expect(detail.steps.map((s) => s.stepId)).toEqual(["greet"]);
    expect(detail.simulated).toBe(false);
  });

  it("rejects bad filters and unknown runs clearly", async () => {
    expect(await errorOf(as(viewer).runs.list({ status: "exploded" as "failed" }))).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^status: status must be one of/) });
    expect(await errorOf(as(viewer).runs.list({ cursor: "garbage" }))).toEqual({ code: "BAD_REQUEST", message: "cursor: cursor is malformed; start again from the first page" });
    expect(await errorOf(as(viewer).runs.list({ from: new Date(2030, 1, 1), to: new Date(2020, 1, 1) }))).toEqual({ code: "BAD_REQUEST", message: "from: from must not be after to" });
    expect(await errorOf(as(viewer).runs.get({ runId: "missing" }))).toEqual({ code: "NOT_FOUND", message: "no run with id missing" });
  });

  it("marks simulated LLM output", async () => {
    await as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "simulated output" } });
    const runId = await execute(sent.at(-1)!, { functionId: "wflo-research-assistant" });
    const detail = await as(viewer).runs.get({ runId });
    expect(detail.simulated).toBe(true);
    expect(detail.steps.find((s) => s.stepId === "plan")?.simulated).toBe(true);
    expect(detail.steps.find((s) => s.stepId === "await-feedback")?.output).toBeNull();
    expect(detail.run.output).toMatchObject({ feedback: { received: false } });
  });
});

describe("runs.cancel and runs.rerun", () => {
  it("cancels a live run through the server's REST API, records it and audits; refuses a finished one", async () => {
    await as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "to be cancelled", questions: 1 } });
    const runId = await execute(sent.at(-1)!, { functionId: "wflo-research-assistant", stopAtWait: true });
    expect((await as(viewer).runs.get({ runId })).run.status).toBe("waiting");

    expect(await as(operator).runs.cancel({ runId })).toEqual({ runId, status: "cancelled" });
    expect(cancelled).toContain(runId);
    const detail = await as(viewer).runs.get({ runId });
    expect(detail.run.status).toBe("cancelled");
    expect(detail.steps.find((s) => s.stepId === "await-feedback")?.status).toBe("cancelled");
    expect((await auditRows()).at(-1)).toMatchObject({ action: "run.cancel", targetType: "run", targetId: runId, after: { status: "cancelled" } });

    const again = await errorOf(as(operator).runs.cancel({ runId }));
    expect(again).toEqual({ code: "PRECONDITION_FAILED", message: `run ${runId} is already cancelled` });
  });

  it("reports a run the server does not know, and changes nothing", async () => {
    await fresh.db.insert(runs).values({ id: "01GHOST", workflowId: "hello", status: "running", eventName: "demo/hello.requested" });
    unknownRuns.add("01GHOST");
    const audit = (await auditRows()).length;
    expect(await errorOf(as(operator).runs.cancel({ runId: "01GHOST" }))).toEqual({ code: "NOT_FOUND", message: "the Inngest server does not know run 01GHOST" });
    expect((await fresh.db.select().from(runs).where(eq(runs.id, "01GHOST")))[0]?.status).toBe("running");
    expect((await auditRows()).length).toBe(audit);
  });

  it("re-runs with the original input as a new run, linked to the original and triggered by the re-runner", async () => {
    await as(operator).runs.trigger({ workflowId: "hello", input: { name: "Grace" } });
    const original = await execute(sent.at(-1)!, { functionId: "wflo-hello" });

    const res = await as(admin).runs.rerun({ runId: original });
    const ev = sent.at(-1)!;
    expect(res).toEqual({ eventId: ev.id, workflowId: "hello", rerunOf: original });
    expect(ev).toMatchObject({ name: "demo/hello.requested", data: { name: "Grace", _wflo: { triggeredBy: { id: admin.id, email: admin.email }, rerunOf: original } } });
    const rerun = await execute(ev, { functionId: "wflo-hello" });
    expect((await as(viewer).runs.get({ runId: rerun })).run).toMatchObject({ rerunOf: original, triggeredByEmail: admin.email, status: "completed", input: { name: "Grace" } });
    expect((await auditRows()).at(-1)).toMatchObject({ action: "run.rerun", targetId: original, actorEmail: admin.email });

    expect(await errorOf(as(admin).runs.rerun({ runId: "missing" }))).toEqual({ code: "NOT_FOUND", message: "no run with id missing" });
  });
});

describe("workflows", () => {
  it("lists every workflow with its trigger, input JSON Schema for the form, and run counts", async () => {
    const list = await as(viewer).workflows.list();
    expect(list.map((w) => w.id)).toEqual(["research-assistant", "hello", "flaky"]);
    const research = list[0]!;
    expect(research).toMatchObject({ name: "Research assistant", triggers: [{ event: "research/requested" }], usesLlm: true });
    expect(research.inputSchema).toMatchObject({
      type: "object",
      required: ["topic"],
      properties: {
        topic: { type: "string", minLength: 3, maxLength: 200, description: "What to research" },
        questions: { type: "integer", minimum: 1, maximum: 5, default: 3 },
        depth: { enum: ["brief", "standard", "thorough"], default: "standard" },
      },
    });
    expect(list.find((w) => w.id === "hello")?.stats.total).toBeGreaterThan(0);
    expect(await errorOf(as(viewer).workflows.get({ workflowId: "nope" }))).toEqual({ code: "NOT_FOUND", message: 'no workflow named "nope"' });
  });
});
