import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditLog, runs } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { errorOf } from "@/server/api/testing/error-of";
import { openHarness, startRunsHarness } from "./testing/runs-harness";

/**
 * The runs and workflows routers through `createCaller`, on the embedded engine: every event
 * a procedure sends is taken in, scheduled and executed for real, and what the tests read back
 * is what the middleware recorded from the real SDK.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, admin, operator, viewer } = await openHarness(startRunsHarness, {
  admin: ["admin@example.com", "admin"],
  operator: ["operator@example.com", "operator"],
  viewer: ["viewer@example.com", "viewer"],
});

const as = (user: SessionUser) => h.as(user);
const auditRows = () => h.fresh.db.select().from(auditLog).orderBy(auditLog.id);
/** The event as the engine took it in (it starts the run, so the run carries it). */
const eventOf = async (runId: string) => (await h.engine.getRun(runId))?.event;
const finished = (runId: string) => h.finished(runId);

describe("runs.trigger", () => {
  it("validates against the workflow's schema, applies defaults, sends the event with who triggered it, and audits", async () => {
    const before = (await auditRows()).length;
    const res = await as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "  vector databases  ", feedbackTimeout: "10m" },
    });
    expect(res).toEqual({ eventId: expect.any(String), workflowId: "research-assistant" });
    const run = await h.runFor(res.eventId);
    expect(await eventOf(run.id)).toMatchObject({
      id: res.eventId,
      name: "research/requested",
      data: {
        topic: "vector databases",
        questions: 3,
        depth: "standard",
        audience: "",
        feedbackTimeout: "10m",
        _wflo: { triggeredBy: { id: operator.id, email: operator.email } },
      },
    });
    const audit = await auditRows();
    expect(audit.length).toBe(before + 1);
    expect(audit.at(-1)).toMatchObject({
      action: "run.trigger",
      targetType: "workflow",
      targetId: "research-assistant",
      actorEmail: operator.email,
      after: { eventId: res.eventId },
    });
    await as(operator).runs.cancel({ runId: run.id });
  });

  it("rejects an unknown workflow naming the field, and sends and stores nothing", async () => {
    const [events, audit] = [await h.eventCount(), (await auditRows()).length];
    const err = await errorOf(as(admin).runs.trigger({ workflowId: "nope", input: {} }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/^workflowId: no workflow named "nope"/);
    expect(await h.eventCount()).toBe(events);
    expect((await auditRows()).length).toBe(audit);
  });

  it("rejects input that fails the workflow's schema with the field and the rule, and sends and stores nothing", async () => {
    const [events, audit, stored] = [
      await h.eventCount(),
      (await auditRows()).length,
      // People's runs: a scheduled system run may be recorded meanwhile (runs.system).
      (await h.fresh.db.select().from(runs).where(eq(runs.system, false))).length,
    ];
    const short = await errorOf(
      as(operator).runs.trigger({ workflowId: "research-assistant", input: { topic: "ab" } }),
    );
    expect(short).toEqual({ code: "BAD_REQUEST", message: "topic: topic must be at least 3 characters" });
    const many = await errorOf(
      as(operator).runs.trigger({
        workflowId: "research-assistant",
        input: { topic: "fine topic", questions: 9, depth: "epic" },
      }),
    );
    expect(many.code).toBe("BAD_REQUEST");
    expect(many.message).toContain("questions: questions must be at most 5");
    expect(many.message).toContain("depth: depth must be one of: brief, standard, thorough");
    const notObject = await errorOf(
      as(operator).runs.trigger({ workflowId: "hello", input: "Ada" as unknown as Record<string, unknown> }),
    );
    expect(notObject).toEqual({ code: "BAD_REQUEST", message: "input: input must be an object" });
    expect(await h.eventCount()).toBe(events);
    expect((await auditRows()).length).toBe(audit);
    expect(await h.fresh.db.select().from(runs).where(eq(runs.system, false))).toHaveLength(stored);
  });

  it("reports an unreachable Inngest server as a gateway error and audits nothing", async () => {
    const [events, audit] = [await h.eventCount(), (await auditRows()).length];
    // The engine's port is now closed: the client's send fails at the transport.
    await h.engine.stop();
    try {
      const err = await errorOf(as(operator).runs.trigger({ workflowId: "hello", input: {} }));
      expect(err.code).toBe("BAD_GATEWAY");
      expect(err.message).toMatch(/did not accept the event demo\/hello.requested/);
    } finally {
      await h.engine.start();
    }
    expect((await auditRows()).length).toBe(audit);
    expect(await h.eventCount()).toBe(events);
  }, 60_000);
});

describe("runs.list, runs.get and runs.byEvent", () => {
  it("shows triggered runs with their steps, filters them and pages with a cursor", async () => {
    // Users of their own, so runs other tests start stay out of these lists.
    const lister = await h.user("lister-op@example.com", "operator");
    const listAdmin = await h.user("lister-admin@example.com", "admin");
    const ids: string[] = [];
    for (const name of ["one", "two", "three"]) {
      const { eventId } = await as(lister).runs.trigger({ workflowId: "hello", input: { name } });
      const run = await h.runFor(eventId);
      await finished(run.id);
      ids.push(run.id);
    }
    const { eventId: flakyEvent } = await as(listAdmin).runs.trigger({ workflowId: "flaky", input: { failures: 0 } });
    const { id: flakyRun } = await h.runFor(flakyEvent);
    await finished(flakyRun);

    expect(await as(viewer).runs.byEvent({ eventId: flakyEvent })).toEqual([
      { id: flakyRun, workflowId: "flaky", status: "completed" },
    ]);

    const all = await as(viewer).runs.list({ triggeredBy: "lister-" });
    expect(all.items.map((r) => r.id)).toEqual([flakyRun, ...[...ids].reverse()]);
    expect(all.items[0]).toMatchObject({
      workflowName: "Flaky upstream",
      status: "completed",
      triggeredByEmail: listAdmin.email,
    });

    const hellos = await as(viewer).runs.list({ workflowId: "hello", triggeredBy: "lister-op", limit: 2 });
    expect(hellos.items).toHaveLength(2);
    expect(hellos.nextCursor).toBeDefined();
    const rest = await as(viewer).runs.list({
      workflowId: "hello",
      triggeredBy: "lister-op",
      limit: 2,
      cursor: hellos.nextCursor,
    });
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeUndefined();
    expect([...hellos.items, ...rest.items].map((r) => r.id)).toEqual([...ids].reverse());

    expect((await as(viewer).runs.list({ triggeredBy: "LISTER-ADMIN@" })).items.map((r) => r.id)).toEqual([flakyRun]);
    expect((await as(viewer).runs.list({ triggeredBy: "lister-", status: "failed" })).items).toHaveLength(0);
    expect((await as(viewer).runs.list({ from: new Date(Date.now() + 60_000) })).items).toHaveLength(0);

    const detail = await as(viewer).runs.get({ runId: ids[0]! });
    expect(detail.run).toMatchObject({
      status: "completed",
      workflowName: "Hello",
      terminal: true,
      triggeredByEmail: lister.email,
    });
    expect(detail.steps.map((s) => s.stepId)).toEqual(["greet"]);
    expect(detail.simulated).toBe(false);
  });

  it("rejects bad filters and unknown runs clearly", async () => {
    expect(await errorOf(as(viewer).runs.list({ status: "exploded" as "failed" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^status: status must be one of/),
    });
    expect(await errorOf(as(viewer).runs.list({ cursor: "garbage" }))).toEqual({
      code: "BAD_REQUEST",
      message: "cursor: cursor is malformed; start again from the first page",
    });
    expect(await errorOf(as(viewer).runs.list({ from: new Date(2030, 1, 1), to: new Date(2020, 1, 1) }))).toEqual({
      code: "BAD_REQUEST",
      message: "from: from must not be after to",
    });
    expect(await errorOf(as(viewer).runs.get({ runId: "missing" }))).toEqual({
      code: "NOT_FOUND",
      message: "no run with id missing",
    });
  });
});

describe("runs.sendEvent", () => {
  it("delivers feedback to a waiting research run, which completes with it; marks simulated output; audits who sent it", async () => {
    const { eventId } = await as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "feedback from the panel", questions: 1, feedbackTimeout: "10m" },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.waitingForEvent(runId);
    const waiting = await as(viewer).runs.get({ runId });
    expect(waiting.run.status).toBe("waiting");
    expect(waiting.steps.find((s) => s.stepId === "await-feedback")).toMatchObject({
      status: "waiting",
      kind: "waitForEvent",
      detail: { event: "research/feedback.submitted", if: `async.data.topicId == "topic_${runId}"` },
    });

    const sent = await as(operator).runs.sendEvent({
      runId,
      name: "research/feedback.submitted",
      data: { topicId: `topic_${runId}`, comments: "Compare costs too." },
    });
    expect(sent).toEqual({ eventId: expect.any(String), runId, name: "research/feedback.submitted" });
    expect((await auditRows()).at(-1)).toMatchObject({
      action: "run.send_event",
      targetType: "run",
      targetId: runId,
      actorEmail: operator.email,
      after: { event: "research/feedback.submitted", eventId: sent.eventId, data: { comments: "Compare costs too." } },
    });

    await finished(runId);
    const detail = await as(viewer).runs.get({ runId });
    expect(detail.run).toMatchObject({
      status: "completed",
      output: { feedback: { received: true, comments: "Compare costs too." }, simulated: true },
    });
    const wait = detail.steps.find((s) => s.stepId === "await-feedback");
    expect(wait).toMatchObject({
      status: "completed",
      output: {
        name: "research/feedback.submitted",
        data: { comments: "Compare costs too.", _wflo: { triggeredBy: { email: operator.email } } },
      },
    });
    expect(detail.simulated).toBe(true);
    expect(detail.steps.find((s) => s.stepId === "plan")?.simulated).toBe(true);

    expect(
      await errorOf(as(operator).runs.sendEvent({ runId, name: "research/feedback.submitted", data: {} })),
    ).toEqual({
      code: "PRECONDITION_FAILED",
      message: `run ${runId} is already completed; it waits for no event`,
    });
  });

  it("refuses events the run is not waiting for and malformed input, naming the field, and sends nothing", async () => {
    const { eventId } = await as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "refusals", questions: 1, feedbackTimeout: "10m" },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to wait", async () => (await h.statusOf(runId)) === "waiting");
    const [events, audit] = [await h.eventCount(), (await auditRows()).length];

    expect(await errorOf(as(operator).runs.sendEvent({ runId, name: "research/requested", data: {} }))).toEqual({
      code: "BAD_REQUEST",
      message: `name: run ${runId} is not waiting for "research/requested"; it waits for "research/feedback.submitted"`,
    });
    expect(await errorOf(as(operator).runs.sendEvent({ runId, name: "inngest/function.finished", data: {} }))).toEqual({
      code: "BAD_REQUEST",
      message: 'name: name must not start with "inngest/" (reserved for the Inngest server)',
    });
    expect(
      await errorOf(
        as(operator).runs.sendEvent({
          runId,
          name: "research/feedback.submitted",
          data: [1] as unknown as Record<string, unknown>,
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "data: data must be a JSON object",
    });
    expect(
      await errorOf(
        as(operator).runs.sendEvent({
          runId,
          name: "research/feedback.submitted",
          data: { _wflo: { triggeredBy: { id: null, email: "someone@else" } } },
        }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "data: data must not contain the key _wflo (wflo sets it)",
    });
    const big = await errorOf(
      as(operator).runs.sendEvent({
        runId,
        name: "research/feedback.submitted",
        data: { comments: "x".repeat(70_000) },
      }),
    );
    expect(big).toEqual({ code: "BAD_REQUEST", message: "data: data must be at most 64 KiB as JSON (it is 69 KiB)" });
    expect(await errorOf(as(operator).runs.sendEvent({ runId: "missing", name: "x/y", data: {} }))).toEqual({
      code: "NOT_FOUND",
      message: "no run with id missing",
    });
    expect(
      await errorOf(as(viewer).runs.sendEvent({ runId, name: "research/feedback.submitted", data: {} })),
    ).toMatchObject({ code: "FORBIDDEN" });

    expect(await h.eventCount()).toBe(events);
    expect((await auditRows()).length).toBe(audit);
    expect(await h.statusOf(runId)).toBe("waiting");
    await as(operator).runs.cancel({ runId });
  });
});

describe("runs.cancel and runs.rerun", () => {
  it("cancels a live run through the server's REST API, records it and audits; refuses a finished one", async () => {
    const { eventId } = await as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "to be cancelled", questions: 1, feedbackTimeout: "10m" },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to wait", async () => (await h.statusOf(runId)) === "waiting");

    expect(await as(operator).runs.cancel({ runId })).toEqual({ runId, status: "cancelled" });
    expect((await h.engine.getRun(runId))?.status).toBe("cancelled");
    const detail = await as(viewer).runs.get({ runId });
    expect(detail.run.status).toBe("cancelled");
    expect(detail.steps.find((s) => s.stepId === "await-feedback")?.status).toBe("cancelled");
    expect((await auditRows()).at(-1)).toMatchObject({
      action: "run.cancel",
      targetType: "run",
      targetId: runId,
      after: { status: "cancelled" },
    });

    const again = await errorOf(as(operator).runs.cancel({ runId }));
    expect(again).toEqual({ code: "PRECONDITION_FAILED", message: `run ${runId} is already cancelled` });
  });

  it("reports a run the server does not know, and changes nothing", async () => {
    // Recorded by wflo but unknown to the engine (e.g. its data was lost): the engine answers 404.
    await h.fresh.db
      .insert(runs)
      .values({ id: "01GHOST", workflowId: "hello", status: "running", eventName: "demo/hello.requested" });
    const audit = (await auditRows()).length;
    expect(await errorOf(as(operator).runs.cancel({ runId: "01GHOST" }))).toEqual({
      code: "NOT_FOUND",
      message: "the Inngest server does not know run 01GHOST",
    });
    expect((await h.fresh.db.select().from(runs).where(eq(runs.id, "01GHOST")))[0]?.status).toBe("running");
    expect((await auditRows()).length).toBe(audit);
  });

  it("re-runs with the original input as a new run, linked to the original and triggered by the re-runner", async () => {
    const { eventId } = await as(operator).runs.trigger({ workflowId: "hello", input: { name: "Grace" } });
    const { id: original } = await h.runFor(eventId);
    await finished(original);

    const res = await as(admin).runs.rerun({ runId: original });
    expect(res).toEqual({ eventId: expect.any(String), workflowId: "hello", rerunOf: original });
    const { id: rerun } = await h.runFor(res.eventId);
    expect(await eventOf(rerun)).toMatchObject({
      name: "demo/hello.requested",
      data: { name: "Grace", _wflo: { triggeredBy: { id: admin.id, email: admin.email }, rerunOf: original } },
    });
    await finished(rerun);
    expect((await as(viewer).runs.get({ runId: rerun })).run).toMatchObject({
      rerunOf: original,
      triggeredByEmail: admin.email,
      status: "completed",
      input: { name: "Grace" },
    });
    expect((await auditRows()).at(-1)).toMatchObject({
      action: "run.rerun",
      targetId: original,
      actorEmail: admin.email,
      after: { eventId: res.eventId },
    });

    expect(await errorOf(as(admin).runs.rerun({ runId: "missing" }))).toEqual({
      code: "NOT_FOUND",
      message: "no run with id missing",
    });
  });
});

describe("workflows", () => {
  it("lists every workflow with its trigger, input JSON Schema for the form, and run counts", async () => {
    const list = await as(viewer).workflows.list();
    expect(list.map((w) => w.id)).toEqual(["research-assistant", "data-analyst", "hello", "flaky", "cleanup-records"]);
    const research = list[0]!;
    expect(research).toMatchObject({
      name: "Research assistant",
      triggers: [{ event: "research/requested" }],
      usesLlm: true,
    });
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
    expect(await errorOf(as(viewer).workflows.get({ workflowId: "nope" }))).toEqual({
      code: "NOT_FOUND",
      message: 'no workflow named "nope"',
    });
  });
});
