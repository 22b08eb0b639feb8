import { referenceFunction } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, sleep, startHarness, type Harness } from "./testing/harness";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "approve-match", triggers: [{ event: "w/start" }] }, async ({ step }) => {
      const ev = await step.waitForEvent("wait", { event: "w/approved", match: "data.orderId", timeout: "20s" });
      return { got: ev?.data ?? null };
    }),
    client.createFunction({ id: "approve-if", triggers: [{ event: "w/start-if" }] }, async ({ step }) => {
      const ev = await step.waitForEvent("wait", {
        event: "w/decision",
        if: "async.data.orderId == event.data.orderId && async.data.amount > 100",
        timeout: "20s",
      });
      return { amount: (ev?.data as { amount?: number } | undefined)?.amount ?? null };
    }),
    client.createFunction({ id: "times-out", triggers: [{ event: "w/timeout" }] }, async ({ step }) => {
      const ev = await step.waitForEvent("wait", { event: "w/never", timeout: "1s" });
      return { ev };
    }),
    client.createFunction({ id: "child", triggers: [{ event: "w/child-direct" }] }, async ({ event, step }) => {
      const doubled = await step.run("double", () => (event.data as { n: number }).n * 2);
      if (doubled < 0) throw new Error("negative input");
      return { doubled };
    }),
    client.createFunction({ id: "parent", triggers: [{ event: "w/parent" }] }, async ({ event, step }) => {
      const res = await step.invoke("call-child", {
        function: referenceFunction({ functionId: "child" }),
        data: { n: (event.data as { n: number }).n },
        timeout: "20s",
      });
      return res;
    }),
    client.createFunction(
      { id: "parent-catches", triggers: [{ event: "w/parent-catch" }], retries: 0 },
      async ({ step }) => {
        try {
          await step.invoke("call-missing", { function: referenceFunction({ functionId: "nope" }), data: {} });
          return "unexpected";
        } catch (e) {
          return { caught: e instanceof Error ? e.message : String(e) };
        }
      },
    ),
    client.createFunction({ id: "sender", triggers: [{ event: "w/send" }] }, async ({ step }) => {
      const sent = await step.sendEvent("emit", [
        { name: "w/emitted", data: { k: 1 } },
        { name: "w/emitted", data: { k: 2 } },
      ]);
      return { count: sent.ids.length };
    }),
    client.createFunction({ id: "on-emitted", triggers: [{ event: "w/emitted" }] }, async ({ event }) => event.data),
  ]);
});
afterAll(async () => h?.close());

describe("waits, invoke and sendEvent", () => {
  it("resumes waitForEvent with `match`, and one event resumes every matching wait", async () => {
    await h.engine.sendEvent([
      { name: "w/start", data: { orderId: "A" } },
      { name: "w/start", data: { orderId: "A" } },
      { name: "w/start", data: { orderId: "B" } },
    ]);
    await sleep(800);
    await h.engine.sendEvent({ name: "w/approved", data: { orderId: "A", ok: true } });
    await sleep(1_000);
    const runs = await h.runsOf(fnId("approve-match"));
    expect(runs).toHaveLength(3);
    const done = runs.filter((r) => r.status === "completed");
    expect(done).toHaveLength(2);
    for (const r of done) expect(r.output).toEqual({ got: { orderId: "A", ok: true } });
    expect(runs.filter((r) => r.status === "running")).toHaveLength(1);
    await h.engine.sendEvent({ name: "w/approved", data: { orderId: "B" } });
    const b = await h.waitForRun((r) => r.functionId === fnId("approve-match") && !done.some((d) => d.id === r.id));
    expect(b.output).toEqual({ got: { orderId: "B" } });
  });

  it("evaluates a CEL `if` on waitForEvent", async () => {
    await h.engine.sendEvent({ name: "w/start-if", data: { orderId: "X" } });
    await sleep(600);
    await h.engine.sendEvent([
      { name: "w/decision", data: { orderId: "X", amount: 50 } },
      { name: "w/decision", data: { orderId: "Y", amount: 500 } },
      { name: "w/decision", data: { orderId: "X", amount: 150 } },
    ]);
    const run = await h.waitForRun((r) => r.functionId === fnId("approve-if"));
    expect(run.output).toEqual({ amount: 150 });
  });

  it("resolves a timed-out waitForEvent to null", async () => {
    await h.engine.sendEvent({ name: "w/timeout" });
    const run = await h.waitForRun((r) => r.functionId === fnId("times-out"));
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ ev: null });
  });

  it("step.invoke runs another function and returns its result", async () => {
    await h.engine.sendEvent({ name: "w/parent", data: { n: 21 } });
    const run = await h.waitForRun((r) => r.functionId === fnId("parent"));
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ doubled: 42 });
    const child = await h.waitForRun((r) => r.functionId === fnId("child"));
    expect(child.event.name).toBe("inngest/function.invoked");
  });

  it("step.invoke of an unknown function throws a catchable error in the caller", async () => {
    await h.engine.sendEvent({ name: "w/parent-catch" });
    const run = await h.waitForRun((r) => r.functionId === fnId("parent-catches"));
    expect(run.status).toBe("completed");
    expect((run.output as { caught: string }).caught).toContain("test-app-nope");
  });

  it("step.sendEvent sends through the engine and triggers functions", async () => {
    await h.engine.sendEvent({ name: "w/send" });
    const run = await h.waitForRun((r) => r.functionId === fnId("sender"));
    expect(run.output).toEqual({ count: 2 });
    for (;;) {
      const got = (await h.runsOf(fnId("on-emitted"))).filter((r) => r.status === "completed");
      if (got.length === 2) {
        expect(got.map((r) => (r.output as { k: number }).k).sort()).toEqual([1, 2]);
        break;
      }
      await sleep(50);
    }
  });
});
