import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/server/api/trpc";
import { startRunsHarness, type RunsHarness } from "./testing/runs-harness";

/**
 * The whole path on real parts: the tRPC trigger sends the event to the embedded engine, the
 * engine calls wflo's real serve handler, the middleware records the run, the engine's
 * lifecycle events reach the lifecycle function. Nothing is stubbed.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let operator: SessionUser;

beforeAll(async () => {
  h = await startRunsHarness();
  operator = await h.user("op@example.com", "operator");
});
afterAll(async () => h?.close());

const caller = () => h.as(operator);

describe("on the embedded engine", () => {
  it("runs the research assistant to completion with feedback delivered to its wait", async () => {
    const { eventId } = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "engine integration", questions: 2 },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.waitingForEvent(runId);

    const { inngest } = await import("@/inngest/client");
    await inngest.send({
      name: "research/feedback.submitted",
      data: { topicId: `topic_${runId}`, comments: "Add a cost section." },
    });
    await h.until("the run to complete", async () => (await h.statusOf(runId)) === "completed");

    const detail = await caller().runs.get({ runId });
    expect(detail.run).toMatchObject({
      triggeredByEmail: operator.email,
      output: { feedback: { received: true, comments: "Add a cost section." }, simulated: true },
    });
    expect(detail.steps.map((s) => [s.stepId, s.status])).toEqual([
      ["plan", "completed"],
      ["checkpoint:plan:v1", "completed"],
      ["research-1", "completed"],
      ["research-2", "completed"],
      ["draft", "completed"],
      ["checkpoint:report:v1", "completed"],
      ["pause-before-review", "completed"],
      ["await-feedback", "completed"],
      ["checkpoint:report:v2", "completed"],
      ["finalize", "completed"],
    ]);
    // The middleware records completion from the SDK's response, a moment before the engine stores it.
    await h.until("the engine to finish the run", async () => (await h.engine.getRun(runId))?.status === "completed");
  });

  it("cancels a waiting run through the engine's REST API and keeps it cancelled after the lifecycle events", async () => {
    const { eventId } = await caller().runs.trigger({
      workflowId: "research-assistant",
      input: { topic: "cancel on the engine", questions: 1, feedbackTimeout: "10m" },
    });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to wait", async () => (await h.statusOf(runId)) === "waiting");

    await caller().runs.cancel({ runId });
    expect((await h.engine.getRun(runId))?.status).toBe("cancelled");
    // Give the lifecycle function (cancelled + finished-with-error) time to run; the status must hold.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await h.statusOf(runId)).toBe("cancelled");
    expect((await caller().runs.get({ runId })).steps.find((s) => s.stepId === "await-feedback")?.status).toBe(
      "cancelled",
    );
  });

  it("records retries and a final failure when retries run out", async () => {
    const { eventId } = await caller().runs.trigger({ workflowId: "flaky", input: { failures: 5 } });
    const { id: runId } = await h.runFor(eventId);
    await h.until("the run to fail", async () => (await h.statusOf(runId)) === "failed", 25_000);
    const detail = await caller().runs.get({ runId });
    expect(detail.steps[0]).toMatchObject({ stepId: "call-upstream", status: "failed", attempts: 4 });
    expect(detail.run.error?.message).toMatch(/upstream unavailable/);
  }, 30_000);
});
