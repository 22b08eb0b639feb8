import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { llmCalls, runFingerprints, runSteps } from "@/db/schema";
import { errorOf } from "@/server/api/testing/error-of";
import type { SessionUser } from "@/server/api/trpc";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";
import { jsonDiff, shapeProblems } from "./diff";

/**
 * Checkpoints and forks on the embedded engine with the real SDK: the research assistant saves
 * checkpoints; forks are new runs whose reused steps the middleware serves from the parent's
 * records, which `llm_calls` (every priced call, by run and step) must confirm.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let operator: SessionUser;
let viewer: SessionUser;
let parent: string;

const FEEDBACK = "research/feedback.submitted";
const finished = (runId: string) =>
  h.until(
    `run ${runId} to finish`,
    async () => ["completed", "failed", "cancelled"].includes((await h.statusOf(runId)) ?? ""),
    30_000,
  );
const callsOf = async (runId: string) =>
  (
    await h.fresh.db
      .select({ stepId: llmCalls.stepId, cost: llmCalls.costNano })
      .from(llmCalls)
      .where(eq(llmCalls.runId, runId))
  )
    .map((c) => c.stepId)
    .sort();
const totalCalls = async () =>
  (await h.fresh.db.execute<{ n: number }>(sql`select count(*)::int as n from llm_calls`))[0]?.n ?? 0;

beforeAll(async () => {
  h = await startRunsHarness();
  operator = await h.user("operator@example.com", "operator");
  viewer = await h.user("viewer@example.com", "viewer");
  // One real research run, answered by a reviewer: plan, research-1, draft, (wait), finalize.
  const { eventId } = await h.as(operator).runs.trigger({
    workflowId: "research-assistant",
    input: { topic: "durable agents", questions: 1, feedbackTimeout: "10m" },
  });
  parent = (await h.runFor(eventId)).id;
  await h.waitingForEvent(parent);
  await h
    .as(operator)
    .runs.sendEvent({ runId: parent, name: FEEDBACK, data: { topicId: `topic_${parent}`, comments: "Add costs." } });
  await finished(parent);
});
afterAll(async () => h?.close());

describe("checkpoints", () => {
  it("saves versions per name and diffs two of them", async () => {
    expect(await h.statusOf(parent)).toBe("completed");
    const cps = await h.as(viewer).recovery.checkpoints({ runId: parent });
    expect(cps.map((c) => `${c.name}@${c.version}`)).toEqual(["plan@1", "report@1", "report@2"]);
    expect(cps[2]?.state).toMatchObject({ stage: "reviewed", feedback: "Add costs." });

    const d = await h
      .as(viewer)
      .recovery.diff({ runId: parent, a: { name: "report", version: 1 }, b: { name: "report", version: 2 } });
    expect(d.changes).toEqual([
      { path: "stage", kind: "changed", before: "draft", after: "reviewed" },
      { path: "feedback", kind: "changed", before: null, after: "Add costs." },
    ]);
    // rollbackToCheckpoint: the latest version unless one is named.
    expect((await h.as(viewer).recovery.rollbackToCheckpoint({ runId: parent, name: "report" })).version).toBe(2);
    expect(
      (await h.as(viewer).recovery.rollbackToCheckpoint({ runId: parent, name: "report", version: 1 })).state,
    ).toMatchObject({ stage: "draft" });
  });

  it("refuses a checkpoint that does not exist, naming the ones that do", async () => {
    const e = await errorOf(h.as(viewer).recovery.rollbackToCheckpoint({ runId: parent, name: "nope" }));
    expect(e).toEqual({
      code: "NOT_FOUND",
      message: `name: run ${parent} has no checkpoint "nope"; it has "plan", "report"`,
    });
  });

  it("diffs nested JSON by path", () => {
    expect(jsonDiff({ a: [1, { b: 2 }], c: "x" }, { a: [1, { b: 3 }, 4], d: true })).toEqual([
      { path: "a[1].b", kind: "changed", before: 2, after: 3 },
      { path: "a[2]", kind: "added", after: 4 },
      { path: "c", kind: "removed", before: "x" },
      { path: "d", kind: "added", after: true },
    ]);
  });
});

describe("fork", () => {
  it("from a checkpoint with edited state: reuses every earlier result, makes only the later LLM call, and links parent and child", async () => {
    const parentCalls = await callsOf(parent);
    expect(parentCalls).toEqual(["draft", "finalize", "plan", "research-1"]);
    const before = await totalCalls();

    const res = await h.as(operator).recovery.fork({
      runId: parent,
      from: { kind: "checkpoint", name: "report", version: 2 },
      state: { stage: "reviewed", text: "An edited draft.", feedback: "Make it shorter." },
    });
    expect(res).toMatchObject({ parentRunId: parent, fromStep: "checkpoint:report:v2", reusedSteps: 3 });
    const child = (await h.runFor(res.eventId)).id;
    await finished(child);
    expect(await h.statusOf(child)).toBe("completed");

    // Only finalize (after the fork point) was called and billed; the parent's calls are untouched.
    expect(await callsOf(child)).toEqual(["finalize"]);
    expect(await callsOf(parent)).toEqual(parentCalls);
    expect(await totalCalls()).toBe(before + 1);
    // The reused steps completed in the child with the parent's outputs, marked as reused.
    const [plan] = await h.fresh.db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, child), eq(runSteps.stepId, "plan")));
    const [parentPlan] = await h.fresh.db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, parent), eq(runSteps.stepId, "plan")));
    expect(plan?.output).toEqual(parentPlan?.output);
    expect(plan?.detail).toEqual({ reusedFrom: parent });
    // The edited state is what the child's checkpoint saved and what the workflow continued with.
    const cps = await h.as(viewer).recovery.checkpoints({ runId: child });
    expect(cps.find((c) => c.name === "report" && c.version === 2)?.state).toEqual({
      stage: "reviewed",
      text: "An edited draft.",
      feedback: "Make it shorter.",
    });
    const [fin] = await h.fresh.db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, child), eq(runSteps.stepId, "finalize")));
    expect(JSON.stringify(fin?.output)).not.toEqual(
      JSON.stringify(
        (
          await h.fresh.db
            .select()
            .from(runSteps)
            .where(and(eq(runSteps.runId, parent), eq(runSteps.stepId, "finalize")))
        )[0]?.output,
      ),
    );

    const tree = await h.as(viewer).recovery.tree({ runId: child });
    expect(tree.root.runId).toBe(parent);
    expect(tree.root.children.map((c) => [c.runId, c.forkPoint?.checkpoint])).toEqual([
      [child, { name: "report", version: 2 }],
    ]);
    expect((await h.as(viewer).recovery.info({ runId: child })).parent).toMatchObject({
      runId: parent,
      stateEdited: true,
    });
  });

  it("from the last completed step: zero new LLM spend", async () => {
    const [last] = await h.fresh.db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, parent), eq(runSteps.stepId, "finalize")));
    const before = await totalCalls();
    const res = await h.as(operator).recovery.fork({ runId: parent, from: { kind: "step", position: last!.position } });
    const child = (await h.runFor(res.eventId)).id;
    await finished(child);
    expect(await h.statusOf(child)).toBe("completed");
    expect(await callsOf(child)).toEqual([]);
    expect(await totalCalls()).toBe(before);
  });

  it("gives a clear error for bad forks", async () => {
    const missing = await errorOf(
      h.as(operator).recovery.fork({ runId: parent, from: { kind: "checkpoint", name: "nope" } }),
    );
    expect(missing.code).toBe("NOT_FOUND");
    const badState = await errorOf(
      h.as(operator).recovery.fork({
        runId: parent,
        from: { kind: "checkpoint", name: "report" },
        state: { stage: 3, text: "x", feedback: null, extra: 1 },
      }),
    );
    expect(badState).toEqual({
      code: "BAD_REQUEST",
      message:
        "state.stage: must be a string like the checkpoint's value, not number; state.extra: is not in the checkpoint; only its fields can be edited",
    });
    const badInput = await errorOf(
      h
        .as(operator)
        .recovery.fork({ runId: parent, from: { kind: "checkpoint", name: "plan" }, input: { topic: "x" } }),
    );
    expect(badInput.code).toBe("BAD_REQUEST");
    expect(badInput.message).toContain("topic");
    const stepState = await errorOf(
      h.as(operator).recovery.fork({ runId: parent, from: { kind: "step", position: 0 }, state: {} }),
    );
    expect(stepState.message).toMatch(/^state: only a fork from a checkpoint/);
    expect(
      (await errorOf(h.as(viewer).recovery.fork({ runId: parent, from: { kind: "step", position: 0 } }))).code,
    ).toBe("FORBIDDEN");
  });

  it("forks a running run only from its completed steps", async () => {
    const { eventId } = await h.as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "still running", questions: 1, feedbackTimeout: "10m" },
    });
    const running = (await h.runFor(eventId)).id;
    await h.waitingForEvent(running);
    const [wait] = await h.fresh.db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, running), eq(runSteps.stepId, "await-feedback")));
    const e = await errorOf(
      h.as(operator).recovery.fork({ runId: running, from: { kind: "step", position: wait!.position } }),
    );
    expect(e).toEqual({
      code: "PRECONDITION_FAILED",
      message: `from.position: step "await-feedback" is waiting and run ${running} is waiting; a fork can only start from a completed step`,
    });
    // Its checkpoint "plan" is complete: that fork is allowed.
    const ok = await h.as(operator).recovery.fork({ runId: running, from: { kind: "checkpoint", name: "plan" } });
    expect(ok.fromStep).toBe("checkpoint:plan:v1");
    // The fork reused the running run's plan and made its own later calls; both are stopped at their wait.
    const forked = (await h.runFor(ok.eventId)).id;
    await h.waitingForEvent(forked);
    expect(await callsOf(forked)).toEqual(["draft", "research-1"]);
    await h.as(operator).runs.cancel({ runId: forked });
    await h.as(operator).runs.cancel({ runId: running });
  });
});

describe("state shape", () => {
  it("accepts any type where the checkpoint held null", () => {
    expect(shapeProblems({ a: null, b: [1] }, { a: "now text", b: [2, 3] })).toEqual([]);
    expect(shapeProblems({ b: [1] }, { b: ["x"] })).toEqual([
      "state.b[0]: must be a number like the checkpoint's value, not string",
    ]);
  });
});

describe("replay", () => {
  it("re-executes today's code against the records at zero cost, and reports where changed code diverges", async () => {
    const before = await totalCalls();
    const same = await h.as(operator).recovery.replay({ runId: parent });
    expect(same).toMatchObject({ divergence: null, outputMatches: true, fingerprint: { changed: false } });
    expect(same.stepsReplayed).toBeGreaterThanOrEqual(8);

    // As if the run had been recorded by older code: its step "draft" was called "draft-v0".
    const { eventId } = await h.as(operator).runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "older code", questions: 1, feedbackTimeout: "10m" },
    });
    const old = (await h.runFor(eventId)).id;
    await h.waitingForEvent(old);
    await h
      .as(operator)
      .runs.sendEvent({ runId: old, name: FEEDBACK, data: { topicId: `topic_${old}`, comments: "ok" } });
    await finished(old);
    await h.fresh.db
      .update(runSteps)
      .set({ stepId: "draft-v0" })
      .where(and(eq(runSteps.runId, old), eq(runSteps.stepId, "draft")));
    await h.fresh.db
      .update(runFingerprints)
      .set({ fingerprint: "older-definition" })
      .where(eq(runFingerprints.runId, old));
    const changed = await h.as(operator).recovery.replay({ runId: old });
    expect(changed.fingerprint).toMatchObject({ recorded: "older-definition", changed: true });
    expect(changed.divergence).toMatchObject({
      got: "draft",
      expected: "draft-v0",
      reason: `today's code asks for step "draft", which the recorded run never ran`,
    });
    expect((await h.as(viewer).recovery.info({ runId: old })).definitionChangedSince).toBe(true);
    // Replays call no model: only the runs above added calls.
    expect(await callsOf(old)).toEqual(["draft", "finalize", "plan", "research-1"]);
    expect(await totalCalls()).toBe(before + 4);
  });
});
