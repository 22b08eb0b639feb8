import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, sleep, startHarness, type Harness } from "./testing/harness";

let h: Harness;
const active: Record<string, number> = {};
const peak: Record<string, number> = {};
const order: string[] = [];
const spans: Record<string, [number, number][]> = {};

async function tracked(key: string, ms: number) {
  active[key] = (active[key] ?? 0) + 1;
  peak[key] = Math.max(peak[key] ?? 0, active[key]);
  await sleep(ms);
  active[key] = (active[key] ?? 1) - 1;
}

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction({ id: "conc-fn", concurrency: 1, triggers: [{ event: "f/conc" }] }, async ({ step }) => {
      await step.run("work", () => tracked("conc-fn", 150));
    }),
    client.createFunction(
      { id: "conc-key", concurrency: { limit: 1, key: "event.data.user" }, triggers: [{ event: "f/conc-key" }] },
      async ({ event, step }) => {
        const user = (event.data as { user: string }).user;
        await step.run("work", async () => {
          const start = Date.now();
          await tracked(`user-${user}`, 300);
          (spans[user] ??= []).push([start, Date.now()]);
        });
        return user;
      },
    ),
    client.createFunction(
      { id: "throttled", throttle: { limit: 1, period: "1s" }, triggers: [{ event: "f/throttle" }] },
      async () => Date.now(),
    ),
    client.createFunction(
      { id: "rate-limited", rateLimit: { limit: 1, period: "1m" }, triggers: [{ event: "f/rate" }] },
      async () => "ran",
    ),
    client.createFunction(
      { id: "debounced", debounce: { period: "1s" }, triggers: [{ event: "f/debounce" }] },
      async ({ event }) => event.data,
    ),
    client.createFunction(
      { id: "batched", batchEvents: { maxSize: 3, timeout: "1s" }, triggers: [{ event: "f/batch" }] },
      async ({ events }) => events.map((e: { data: unknown }) => (e.data as { i: number }).i),
    ),
    client.createFunction(
      { id: "prioritised", concurrency: 1, priority: { run: "event.data.p" }, triggers: [{ event: "f/prio" }] },
      async ({ event, step }) => {
        await step.run("work", async () => {
          order.push((event.data as { label: string }).label);
          await sleep(300);
        });
      },
    ),
    client.createFunction(
      { id: "idempotent", idempotency: "event.data.key", triggers: [{ event: "f/idem" }] },
      async ({ event }) => event.data,
    ),
    client.createFunction(
      { id: "start-timeout", concurrency: 1, timeouts: { start: "1s" }, triggers: [{ event: "f/start-timeout" }] },
      async ({ step }) => {
        await step.run("slow", () => sleep(2_000));
        return "started";
      },
    ),
    client.createFunction(
      { id: "finish-timeout", timeouts: { finish: "1s" }, triggers: [{ event: "f/finish-timeout" }] },
      async ({ step }) => {
        await step.sleep("long", "10s");
        return "finished";
      },
    ),
    client.createFunction(
      { id: "single-skip", singleton: { key: "event.data.k", mode: "skip" }, triggers: [{ event: "f/single-skip" }] },
      async ({ event, step }) => {
        await step.sleep("hold", "1s");
        return event.data;
      },
    ),
    client.createFunction(
      {
        id: "single-cancel",
        singleton: { key: "event.data.k", mode: "cancel" },
        triggers: [{ event: "f/single-cancel" }],
      },
      async ({ event, step }) => {
        await step.sleep("hold", "1s");
        return event.data;
      },
    ),
    client.createFunction({ id: "ticker", triggers: [{ cron: "* * * * * *" }] }, async ({ event }) => event.name),
  ]);
});
afterAll(async () => h?.close());

const settled = async (functionId: string, n: number, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const runs = (await h.runsOf(functionId)).filter((r) => r.status !== "running");
    if (runs.length >= n) return runs;
    if (Date.now() > until) throw new Error(`${functionId}: ${runs.length}/${n} runs finished`);
    await sleep(30);
  }
};

describe("flow control", () => {
  it("limits concurrency per function", async () => {
    await h.engine.sendEvent(Array.from({ length: 4 }, () => ({ name: "f/conc" })));
    const runs = await settled(fnId("conc-fn"), 4);
    expect(runs.every((r) => r.status === "completed")).toBe(true);
    expect(peak["conc-fn"]).toBe(1);
  });

  it("limits concurrency per key, while other keys run alongside", async () => {
    await h.engine.sendEvent([
      { name: "f/conc-key", data: { user: "a" } },
      { name: "f/conc-key", data: { user: "a" } },
      { name: "f/conc-key", data: { user: "b" } },
    ]);
    await settled(fnId("conc-key"), 3);
    expect(peak["user-a"]).toBe(1);
    expect(peak["user-b"]).toBe(1);
    // Key "b" is not held back by key "a": its work overlaps one of a's.
    const [b] = spans.b!;
    expect(spans.a!.some(([s, e]) => s < b![1] && b![0] < e)).toBe(true);
  });

  it("throttles run starts to the limit per period, delaying rather than dropping", async () => {
    await h.engine.sendEvent(Array.from({ length: 3 }, () => ({ name: "f/throttle" })));
    const runs = await settled(fnId("throttled"), 3, 8_000);
    const starts = runs.map((r) => r.output as number).sort((a, b) => a - b);
    // Unthrottled, the three would start within a few ms of each other; the 1 s period spaces them.
    // The bound leaves room for a loaded machine delaying when the function reads its clock.
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(700);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(700);
  });

  it("rate-limits by dropping events over the limit", async () => {
    await h.engine.sendEvent(Array.from({ length: 3 }, () => ({ name: "f/rate" })));
    await settled(fnId("rate-limited"), 1);
    await sleep(300);
    expect(await h.engine.listRuns({ functionId: fnId("rate-limited") })).toHaveLength(1);
  });

  it("debounces to one run with the last event", async () => {
    for (let i = 0; i < 3; i++) {
      await h.engine.sendEvent({ name: "f/debounce", data: { i } });
      await sleep(300);
    }
    const [run] = await settled(fnId("debounced"), 1);
    expect(run!.output).toEqual({ i: 2 });
    await sleep(1_200);
    expect(await h.engine.listRuns({ functionId: fnId("debounced") })).toHaveLength(1);
  });

  it("batches events up to maxSize, and flushes a partial batch after the timeout", async () => {
    await h.engine.sendEvent([0, 1, 2].map((i) => ({ name: "f/batch", data: { i } })));
    const [full] = await settled(fnId("batched"), 1);
    expect(full!.output).toEqual([0, 1, 2]);
    expect(full!.events).toHaveLength(3);
    await h.engine.sendEvent({ name: "f/batch", data: { i: 3 } });
    const runs = await settled(fnId("batched"), 2, 5_000);
    expect(runs[1]!.output).toEqual([3]);
  });

  it("starts higher-priority runs first when runs queue up", async () => {
    await h.engine.sendEvent({ name: "f/prio", data: { label: "blocker", p: 0 } });
    await sleep(100);
    await h.engine.sendEvent({ name: "f/prio", data: { label: "low", p: -100 } });
    await h.engine.sendEvent({ name: "f/prio", data: { label: "normal", p: 0 } });
    await h.engine.sendEvent({ name: "f/prio", data: { label: "high", p: 300 } });
    await settled(fnId("prioritised"), 4);
    expect(order).toEqual(["blocker", "high", "normal", "low"]);
  });

  it("runs once per idempotency key", async () => {
    await h.engine.sendEvent([
      { name: "f/idem", data: { key: "k1" } },
      { name: "f/idem", data: { key: "k1" } },
      { name: "f/idem", data: { key: "k2" } },
    ]);
    await settled(fnId("idempotent"), 2);
    await sleep(300);
    expect(await h.engine.listRuns({ functionId: fnId("idempotent") })).toHaveLength(2);
  });

  it("cancels a run that can't start within timeouts.start", async () => {
    await h.engine.sendEvent({ name: "f/start-timeout" });
    await sleep(100);
    await h.engine.sendEvent({ name: "f/start-timeout" });
    const runs = await settled(fnId("start-timeout"), 2, 6_000);
    expect(runs.map((r) => r.status)).toEqual(["completed", "cancelled"]);
    expect(runs[1]!.error).toMatchObject({ message: expect.stringContaining("timeouts.start") });
  });

  it("cancels a run that doesn't finish within timeouts.finish", async () => {
    await h.engine.sendEvent({ name: "f/finish-timeout" });
    const [run] = await settled(fnId("finish-timeout"), 1, 5_000);
    expect(run!.status).toBe("cancelled");
    expect(run!.error).toMatchObject({ message: expect.stringContaining("timeouts.finish") });
  });

  it("singleton skip drops events while a run with the same key runs", async () => {
    await h.engine.sendEvent({ name: "f/single-skip", data: { k: "a", n: 1 } });
    await sleep(200);
    await h.engine.sendEvent([
      { name: "f/single-skip", data: { k: "a", n: 2 } },
      { name: "f/single-skip", data: { k: "b", n: 3 } },
    ]);
    const runs = await settled(fnId("single-skip"), 2, 5_000);
    expect(runs.map((r) => r.output)).toEqual([
      { k: "a", n: 1 },
      { k: "b", n: 3 },
    ]);
  });

  it("singleton cancel replaces the running run with the new one", async () => {
    await h.engine.sendEvent({ name: "f/single-cancel", data: { k: "a", n: 1 } });
    await sleep(200);
    await h.engine.sendEvent({ name: "f/single-cancel", data: { k: "a", n: 2 } });
    const runs = await settled(fnId("single-cancel"), 2, 5_000);
    expect(runs.map((r) => r.status)).toEqual(["cancelled", "completed"]);
    expect(runs[1]!.output).toEqual({ k: "a", n: 2 });
  });

  it("runs cron-triggered functions on schedule with the scheduled.timer event", async () => {
    const runs = await settled(fnId("ticker"), 2, 5_000);
    expect(runs[0]!.status).toBe("completed");
    expect(runs[0]!.output).toBe("inngest/scheduled.timer");
    expect(runs[0]!.event.data).toEqual({ cron: "* * * * * *" });
  });
});
