import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, startHarness, type Harness } from "./testing/harness";

let h: Harness;
const calls: Record<string, number> = {};
const bump = (k: string) => {
  calls[k] = (calls[k] ?? 0) + 1;
};

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "steps", triggers: [{ event: "t/steps" }] }, async ({ event, step }) => {
      const a = await step.run("a", () => {
        bump("a");
        return { n: (event.data as { n: number }).n + 1 };
      });
      const b = await step.run("b", () => {
        bump("b");
        return a.n * 10;
      });
      return { a, b };
    }),
    client.createFunction({ id: "sleeper", triggers: [{ event: "t/sleep" }] }, async ({ step }) => {
      await step.sleep("nap", "1s");
      const until = await step.run("until-at", () => Date.now() + 500);
      await step.sleepUntil("until", new Date(until));
      return "rested";
    }),
    client.createFunction({ id: "parallel", triggers: [{ event: "t/par" }] }, async ({ step }) => {
      const before = await step.run("before", () => 1);
      const [x, y, z] = await Promise.all([
        step.run("x", () => "X"),
        step.run("y", () => "Y"),
        step.run("z", () => "Z"),
      ]);
      const after = await step.run("after", () => before + 1);
      return { x, y, z, after };
    }),
    client.createFunction(
      { id: "parallel-retry", retries: 2, triggers: [{ event: "t/par-retry" }] },
      async ({ step, attempt }) => {
        const [ok, flaky] = await Promise.all([
          step.run("steady", () => "S"),
          step.run("wobbly", () => {
            bump(`wobbly-${attempt}`);
            if (attempt === 0) throw new Error("first try fails");
            return "W";
          }),
        ]);
        return `${ok}${flaky}`;
      },
    ),
    client.createFunction({ id: "race", triggers: [{ event: "t/race" }] }, async ({ step }) => {
      const winner = await Promise.race([
        step.run({ id: "fast", parallelMode: "race" }, () => "fast"),
        step.run({ id: "slow", parallelMode: "race" }, async () => {
          await new Promise((r) => setTimeout(r, 400));
          return "slow";
        }),
      ]);
      const after = await step.run("after-race", () => `after ${winner}`);
      return after;
    }),
    client.createFunction(
      { id: "filtered", triggers: [{ event: "t/if", if: "event.data.amount > 100" }] },
      async ({ event }) => event.data,
    ),
  ]);
});
afterAll(async () => h?.close());

describe("engine core", () => {
  it("runs step.run steps once each, checkpointed, and completes with the return value", async () => {
    const { ids } = await h.client.send({ name: "t/steps", data: { n: 1 } });
    expect(ids).toHaveLength(1);
    const run = await h.waitForRun((r) => r.functionId === fnId("steps"));
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ a: { n: 2 }, b: 20 });
    expect(run.steps.map((s) => s.name)).toEqual(["a", "b"]);
    expect(calls).toMatchObject({ a: 1, b: 1 });
  });

  it("sleeps with step.sleep and step.sleepUntil without calling the SDK meanwhile", async () => {
    await h.engine.sendEvent({ name: "t/sleep" });
    const run = await h.waitForRun((r) => r.functionId === fnId("sleeper"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("rested");
    expect(run.endedAt!.getTime() - run.createdAt.getTime()).toBeGreaterThanOrEqual(1_450);
    // Discovery -> Sleep, wake -> step + SleepUntil (checkpointed), wake -> done: no polling while asleep.
    expect(h.callsTo(fnId("sleeper"))).toBe(3);
  });

  it("plans parallel steps and runs each separately", async () => {
    await h.engine.sendEvent({ name: "t/par" });
    const run = await h.waitForRun((r) => r.functionId === fnId("parallel"));
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ x: "X", y: "Y", z: "Z", after: 2 });
    expect(run.steps.map((s) => s.name).sort()).toEqual(["after", "before", "x", "y", "z"]);
  });

  it("retries one failing parallel step on its own", async () => {
    await h.engine.sendEvent({ name: "t/par-retry" });
    const run = await h.waitForRun((r) => r.functionId === fnId("parallel-retry"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("SW");
    expect(calls["wobbly-0"]).toBe(1);
    expect(calls["wobbly-1"]).toBe(1);
  });

  it("continues a Promise.race of steps after the first one resolves", async () => {
    await h.engine.sendEvent({ name: "t/race" });
    const run = await h.waitForRun((r) => r.functionId === fnId("race"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("after fast");
  });

  it("starts runs only for events whose trigger `if` matches", async () => {
    await h.engine.sendEvent([
      { name: "t/if", data: { amount: 50 } },
      { name: "t/if", data: { amount: 500 } },
    ]);
    const run = await h.waitForRun((r) => r.functionId === fnId("filtered"));
    expect(run.output).toEqual({ amount: 500 });
    const all = await h.runsOf(fnId("filtered"));
    expect(all).toHaveLength(1);
  });
});
