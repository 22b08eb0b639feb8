import { NonRetriableError, RetryAfterError } from "inngest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inngestBackoff } from "./backoff";
import { fnId, sleep, startHarness, type Harness } from "./testing/harness";

let h: Harness;
const attempts: Record<string, number[]> = {};
const note = (k: string, attempt: number) => {
  (attempts[k] ??= []).push(attempt);
};
const stamps: number[] = [];

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction(
      { id: "always-fails", retries: 2, triggers: [{ event: "e/always" }] },
      async ({ step, attempt }) => {
        await step.run("boom", () => {
          note("always", attempt);
          throw new Error(`kaboom on attempt ${attempt}`);
        });
      },
    ),
    client.createFunction({ id: "flaky", retries: 3, triggers: [{ event: "e/flaky" }] }, async ({ step, attempt }) => {
      const v = await step.run("flaky-step", () => {
        note("flaky", attempt);
        if (attempt < 2) throw new Error("not yet");
        return "finally";
      });
      return v;
    }),
    client.createFunction(
      { id: "non-retriable", retries: 4, triggers: [{ event: "e/nonretry" }] },
      async ({ step, attempt }) => {
        await step.run("fatal", () => {
          note("nonretry", attempt);
          throw new NonRetriableError("do not retry me");
        });
      },
    ),
    client.createFunction(
      { id: "retry-after", retries: 1, triggers: [{ event: "e/retry-after" }] },
      async ({ step, attempt }) => {
        return step.run("limited", () => {
          stamps.push(Date.now());
          if (attempt === 0) throw new RetryAfterError("rate limited upstream", "1s");
          return "ok";
        });
      },
    ),
    client.createFunction({ id: "catches", retries: 0, triggers: [{ event: "e/catch" }] }, async ({ step }) => {
      try {
        await step.run("fails", () => {
          throw new Error("inner failure");
        });
        return "unreachable";
      } catch (e) {
        const recovered = await step.run(
          "recover",
          () => `recovered from: ${e instanceof Error ? e.message : String(e)}`,
        );
        return recovered;
      }
    }),
    client.createFunction({ id: "body-throws", retries: 1, triggers: [{ event: "e/body" }] }, async ({ attempt }) => {
      note("body", attempt);
      throw new Error("thrown outside any step");
    }),
    client.createFunction(
      {
        id: "with-on-failure",
        retries: 0,
        triggers: [{ event: "e/onfailure" }],
        onFailure: async (ctx: { error: Error; event: { data: { event: { name: string } } } }) => ({
          handled: ctx.error.message,
          original: ctx.event.data.event.name,
        }),
      },
      async ({ event }) => {
        if (event.name) throw new Error("primary failed");
        return null;
      },
    ),
    client.createFunction(
      {
        id: "finished-watcher",
        triggers: [{ event: "inngest/function.finished", if: "event.data.function_id == 'test-app-flaky'" }],
      },
      async ({ event }) => ({
        saw: (event.data as { result?: unknown }).result,
      }),
    ),
    client.createFunction(
      {
        id: "failed-watcher",
        triggers: [{ event: "inngest/function.failed", if: "event.data.function_id == 'test-app-always-fails'" }],
      },
      async ({ event }) => ({
        message: (event.data as { error: { message: string } }).error.message,
      }),
    ),
  ]);
});
afterAll(async () => h?.close());

describe("retries and errors", () => {
  it("retries a failing step `retries` times, then fails the run with the recorded error", async () => {
    await h.engine.sendEvent({ name: "e/always" });
    const run = await h.waitForRun((r) => r.functionId === fnId("always-fails"));
    expect(run.status).toBe("failed");
    expect(attempts.always).toEqual([0, 1, 2]);
    expect(run.error).toMatchObject({ name: "Error", message: "kaboom on attempt 2" });
  });

  it("succeeds when a retry succeeds, with the attempt number passed to the function", async () => {
    await h.engine.sendEvent({ name: "e/flaky" });
    const run = await h.waitForRun((r) => r.functionId === fnId("flaky"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("finally");
    expect(attempts.flaky).toEqual([0, 1, 2]);
  });

  it("does not retry NonRetriableError", async () => {
    await h.engine.sendEvent({ name: "e/nonretry" });
    const run = await h.waitForRun((r) => r.functionId === fnId("non-retriable"));
    expect(run.status).toBe("failed");
    expect(attempts.nonretry).toEqual([0]);
    expect(run.error).toMatchObject({ message: "do not retry me" });
  });

  it("waits as long as RetryAfterError asks before retrying", async () => {
    await h.engine.sendEvent({ name: "e/retry-after" });
    const run = await h.waitForRun((r) => r.functionId === fnId("retry-after"));
    expect(run.output).toBe("ok");
    expect(stamps).toHaveLength(2);
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(950);
  });

  it("lets user code catch a step's final error", async () => {
    await h.engine.sendEvent({ name: "e/catch" });
    const run = await h.waitForRun((r) => r.functionId === fnId("catches"));
    expect(run.status).toBe("completed");
    expect(run.output).toBe("recovered from: inner failure");
  });

  it("retries an error thrown outside steps, then fails", async () => {
    await h.engine.sendEvent({ name: "e/body" });
    const run = await h.waitForRun((r) => r.functionId === fnId("body-throws"));
    expect(run.status).toBe("failed");
    expect(attempts.body).toEqual([0, 1]);
    expect(run.error).toMatchObject({ message: "thrown outside any step" });
  });

  it("runs onFailure with the error and the original event", async () => {
    await h.engine.sendEvent({ name: "e/onfailure" });
    const failed = await h.waitForRun((r) => r.functionId === fnId("with-on-failure"));
    expect(failed.status).toBe("failed");
    const handler = await h.waitForRun((r) => r.functionId === fnId("with-on-failure-failure"));
    expect(handler.status).toBe("completed");
    expect(handler.output).toEqual({ handled: "primary failed", original: "e/onfailure" });
  });

  it("emits inngest/function.finished and inngest/function.failed that SDK functions can observe", async () => {
    const finished = await h.waitForRun((r) => r.functionId === fnId("finished-watcher"));
    expect(finished.output).toEqual({ saw: "finally" });
    const failed = await h.waitForRun((r) => r.functionId === fnId("failed-watcher"));
    expect(failed.output).toEqual({ message: "kaboom on attempt 2" });
  });

  it("uses Inngest's backoff table (15s, 30s, 1m, 2m, ... + up to 30s jitter) by default", () => {
    const expected = [15, 30, 60, 120, 300, 600, 1_200, 2_400, 3_600, 7_200, 7_200];
    expected.forEach((s, attempt) => {
      const d = inngestBackoff(attempt);
      expect(d).toBeGreaterThanOrEqual(s * 1000);
      expect(d).toBeLessThan(s * 1000 + 30_000);
    });
  });
});

void sleep;
