import { asc, eq } from "drizzle-orm";
import type { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDb } from "@/db/client";
import { runs, runSteps } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { log } from "@/server/log";
import { signEvent, withEnvelope } from "@/server/runs/envelope";
import { driveRun, type ServeHandler } from "@/server/runs/testing/sdk-driver";
import { inngest } from "@/inngest/client";
import { FEEDBACK_EVENT } from "@/inngest/functions/research-assistant";
import { servedFunctions } from "@/inngest/registry";

let fresh: FreshDb;
let handler: ServeHandler;

beforeAll(async () => {
  fresh = await freshDatabase();
  // The middleware writes through the process-wide connection, as it does in the app.
  process.env.DATABASE_URL = fresh.url;
  const served = serve({ client: inngest, functions: servedFunctions });
  handler = (req) => served.POST(req as NextRequest, undefined);
});
afterAll(async () => {
  await closeDb();
  await fresh.drop();
});

let seq = 0;
const ids = () => {
  seq++;
  return { runId: `01RUN${Date.now()}${seq}`, eventId: `01EVT${Date.now()}${seq}` };
};
const triggeredBy = { id: "00000000-0000-4000-8000-000000000001", email: "op@example.com" };

/** The trigger event as wflo's server sends it: its envelope signed for this id, name and input. */
function event(name: string, eventId: string, data: Record<string, unknown>) {
  return { ...signEvent({ id: eventId, name, data: withEnvelope(data, { triggeredBy }) }), ts: Date.now() };
}
const runRow = async (id: string) => (await fresh.db.select().from(runs).where(eq(runs.id, id)))[0];
const stepRows = async (id: string) =>
  fresh.db.select().from(runSteps).where(eq(runSteps.runId, id)).orderBy(asc(runSteps.position));

describe("wflo middleware records runs through the real SDK serve handler", () => {
  it("records a one-step run: who triggered it, input without the envelope, output, the step", async () => {
    const { runId, eventId } = ids();
    const res = await driveRun({
      handler,
      functionId: "wflo-hello",
      runId,
      event: event("demo/hello.requested", eventId, { name: "Ada" }),
    });
    expect(res.outcome).toBe("completed");

    const run = await runRow(runId);
    expect(run).toMatchObject({
      workflowId: "hello",
      status: "completed",
      eventName: "demo/hello.requested",
      eventId,
      input: { name: "Ada" },
      triggeredById: triggeredBy.id,
      triggeredByEmail: triggeredBy.email,
      error: null,
    });
    expect(run?.output).toMatchObject({ message: "Hello, Ada!" });
    expect(run?.endedAt).toBeInstanceOf(Date);

    const steps = await stepRows(runId);
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ stepId: "greet", name: "greet", kind: "run", status: "completed", attempts: 1 });
    expect(steps[0]?.output).toMatchObject({ message: "Hello, Ada!" });
  });

  it("drops an unsigned or forged envelope: no person, no re-run link; a run no stored event explains is 'unsigned'", async () => {
    const { runId, eventId } = ids();
    // As a real Inngest server would deliver an event someone else sent with wflo's envelope in it.
    const forged = {
      id: eventId,
      name: "demo/hello.requested",
      data: { name: "Ada", _wflo: { triggeredBy, rerunOf: "01PARENT", sig: "v1=00" } },
      ts: Date.now(),
    };
    const warn = vi.spyOn(log, "warn");
    try {
      expect((await driveRun({ handler, functionId: "wflo-hello", runId, event: forged })).outcome).toBe("completed");
      // Driven again (a retried request): still one warning, on the request that created the run.
      await driveRun({ handler, functionId: "wflo-hello", runId, event: forged });
      const about = warn.mock.calls.filter(
        ([o]) => typeof o === "object" && o !== null && (o as { runId?: string }).runId === runId,
      );
      expect(about).toHaveLength(1);
      expect(about[0]![0]).toMatchObject({
        runId,
        reason: expect.stringMatching(/signature does not match/),
        attributedTo: "unsigned",
      });
      expect(about[0]![1]).toContain(`run ${runId} ignores its event's _wflo envelope`);
    } finally {
      warn.mockRestore();
    }
    expect(await runRow(runId)).toMatchObject({
      input: { name: "Ada" },
      triggeredById: null,
      triggeredByEmail: null,
      triggeredByKind: "unsigned",
      triggeredByEventKey: null,
      rerunOf: null,
    });
  });

  it("is idempotent: replaying a finished run changes nothing and duplicates nothing", async () => {
    const { runId, eventId } = ids();
    const ev = event("demo/hello.requested", eventId, { name: "Bo" });
    await driveRun({ handler, functionId: "wflo-hello", runId, event: ev });
    const before = { run: await runRow(runId), steps: await stepRows(runId) };
    await driveRun({ handler, functionId: "wflo-hello", runId, event: ev });
    const after = { run: await runRow(runId), steps: await stepRows(runId) };
    expect(after.steps).toHaveLength(1);
    expect(after.run?.status).toBe("completed");
    expect(after.steps[0]?.status).toBe("completed");
    expect((await fresh.db.select().from(runs).where(eq(runs.eventId, eventId))).length).toBe(1);
    expect(after.run?.startedAt).toEqual(before.run?.startedAt);
  });

  it("records parallel LLM steps, a sleep and a wait for an event, with the run status moving through them", async () => {
    const { runId, eventId } = ids();
    const seen: string[] = [];
    const res = await driveRun({
      handler,
      functionId: "wflo-research-assistant",
      runId,
      event: event("research/requested", eventId, { topic: "durable execution for AI agents", questions: 3 }),
      onOps: async (ops) => {
        if (ops.some((o) => o.op === "Sleep" || o.op === "WaitForEvent"))
          seen.push((await runRow(runId))?.status ?? "none");
      },
      resolveWait: (op) => {
        expect(op.name).toBe(FEEDBACK_EVENT);
        expect(op.opts?.if).toBe(`async.data.topicId == "topic_${runId}"`);
        return {
          id: "01FEEDBACK",
          name: FEEDBACK_EVENT,
          data: { topicId: `topic_${runId}`, comments: "More on costs, please." },
          ts: Date.now(),
        };
      },
    });
    expect(res.outcome).toBe("completed");
    expect(seen).toEqual(["sleeping", "waiting"]);

    const steps = await stepRows(runId);
    const byId = Object.fromEntries(steps.map((s) => [s.stepId, s]));
    expect(steps.map((s) => s.stepId).sort()).toEqual(
      [
        "plan",
        "checkpoint:plan:v1",
        "research-1",
        "research-2",
        "research-3",
        "draft",
        "checkpoint:report:v1",
        "pause-before-review",
        "await-feedback",
        "checkpoint:report:v2",
        "finalize",
      ].sort(),
    );
    expect(steps.every((s) => s.status === "completed")).toBe(true);
    expect(byId.plan?.output).toMatchObject({ simulated: true, provider: "simulated" });
    expect(byId["research-2"]).toMatchObject({ kind: "run", status: "completed" });
    expect(byId["pause-before-review"]).toMatchObject({ kind: "sleep", detail: { until: "2s" } });
    expect(byId["await-feedback"]).toMatchObject({
      kind: "waitForEvent",
      detail: { event: FEEDBACK_EVENT, timeout: "2m" },
    });
    expect(byId["await-feedback"]?.output).toMatchObject({ data: { comments: "More on costs, please." } });

    const run = await runRow(runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toMatchObject({ simulated: true, feedback: { received: true }, llmCalls: 6 });
  });

  it("counts step retries and keeps the step's error while it retries", async () => {
    const { runId, eventId } = ids();
    const res = await driveRun({
      handler,
      functionId: "wflo-flaky",
      runId,
      maxAttempts: 4,
      event: event("demo/flaky.requested", eventId, { failures: 2 }),
    });
    expect(res.outcome).toBe("completed");
    const [call] = await stepRows(runId);
    expect(call).toMatchObject({ stepId: "call-upstream", status: "completed", attempts: 3, error: null });
    expect((await runRow(runId))?.attempts).toBe(3);
  });

  it("marks the step and the run failed when retries run out", async () => {
    const { runId, eventId } = ids();
    const res = await driveRun({
      handler,
      functionId: "wflo-flaky",
      runId,
      maxAttempts: 4,
      event: event("demo/flaky.requested", eventId, { failures: 5 }),
    });
    expect(res.outcome).toBe("failed");
    const [call] = await stepRows(runId);
    expect(call).toMatchObject({ status: "failed", attempts: 4 });
    expect(call?.error?.message).toMatch(/upstream unavailable/);
    const run = await runRow(runId);
    expect(run?.status).toBe("failed");
    expect(run?.error?.message).toMatch(/upstream unavailable/);
    expect(run?.endedAt).toBeInstanceOf(Date);
  });

  it("fails a run at once when its event data does not fit the input schema, naming the field", async () => {
    const { runId, eventId } = ids();
    const res = await driveRun({
      handler,
      functionId: "wflo-research-assistant",
      runId,
      event: event("research/requested", eventId, { topic: "x" }),
    });
    expect(res.outcome).toBe("failed");
    expect(res.requests).toBe(1);
    const run = await runRow(runId);
    expect(run?.status).toBe("failed");
    expect(run?.error).toMatchObject({ name: "NonRetriableError" });
    expect(run?.error?.message).toMatch(/topic: topic must be at least 3 characters/);
  });

  it("settles cancellation from the server's lifecycle event, and a later 'finished with error' does not undo it", async () => {
    const { runId, eventId } = ids();
    const ev = event("research/requested", eventId, { topic: "cancel me please", questions: 1 });
    // Drive until the run waits for feedback, then stop as a cancelled run would.
    const res = await driveRun({
      handler,
      functionId: "wflo-research-assistant",
      runId,
      event: ev,
      maxRequests: 100,
      resolveWait: () => {
        throw new Error("stop here");
      },
    }).catch((e: Error) => ({ outcome: e.message }));
    expect(res.outcome).toBe("stop here");
    expect((await runRow(runId))?.status).toBe("waiting");

    const lifecycle = (name: string, data: Record<string, unknown>) =>
      driveRun({
        handler,
        functionId: "wflo-system-run-lifecycle",
        runId: `${runId}-lc-${name}`,
        event: {
          id: `${eventId}-${name}`,
          name,
          data: { function_id: "wflo-research-assistant", run_id: runId, event: ev, ...data },
          ts: Date.now(),
        },
      });
    expect((await lifecycle("inngest/function.cancelled", {})).outcome).toBe("completed");
    expect(
      (await lifecycle("inngest/function.finished", { error: { name: "Error", message: "function cancelled" } }))
        .outcome,
    ).toBe("completed");

    const run = await runRow(runId);
    expect(run?.status).toBe("cancelled");
    const wait = (await stepRows(runId)).find((s) => s.stepId === "await-feedback");
    expect(wait?.status).toBe("cancelled");
    // wflo's own lifecycle runs are not recorded as runs.
    expect(await runRow(`${runId}-lc-inngest/function.cancelled`)).toBeUndefined();
  });

  it("creates the run from a lifecycle event when the run never reached the SDK", async () => {
    const { runId, eventId } = ids();
    await driveRun({
      handler,
      functionId: "wflo-system-run-lifecycle",
      runId: `${runId}-lc`,
      event: {
        id: `${eventId}-lc`,
        name: "inngest/function.cancelled",
        data: {
          function_id: "wflo-hello",
          run_id: runId,
          event: event("demo/hello.requested", eventId, { name: "Cy" }),
        },
        ts: Date.now(),
      },
    });
    expect(await runRow(runId)).toMatchObject({
      workflowId: "hello",
      status: "cancelled",
      input: { name: "Cy" },
      triggeredByEmail: triggeredBy.email,
    });
  });
});
