import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fnId, sleep, startHarness, type Harness } from "./testing/harness";

let h: Harness;
let releaseGate: () => void = () => {};
const gate = new Promise<void>((r) => {
  releaseGate = r;
});
const ran: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  const { client } = h;
  await h.serveFunctions([
    client.createFunction(
      {
        id: "cancellable",
        triggers: [{ event: "c/start" }],
        cancelOn: [{ event: "c/cancel", match: "data.id" }],
        onFailure: async () => {
          ran.push("onFailure");
        },
      },
      async ({ step }) => {
        await step.sleep("long", "30s");
        return "woke";
      },
    ),
    client.createFunction({ id: "gated", triggers: [{ event: "c/gated" }] }, async ({ step }) => {
      await step.run("one", () => ran.push("one"));
      await step.run("two", async () => {
        ran.push("two-start");
        await gate;
        ran.push("two-end");
      });
      await step.run("three", () => ran.push("three"));
      return "done";
    }),
  ]);
});
afterAll(async () => h?.close());

async function runningRunOf(functionId: string, count: number) {
  for (let i = 0; i < 200; i++) {
    const runs = (await h.engine.listRuns({ functionId })).filter((r) => r.status === "running");
    if (runs.length >= count) return runs;
    await sleep(25);
  }
  throw new Error("runs did not start");
}

describe("cancellation", () => {
  it("cancelOn cancels only the run whose expression matches, emits function.cancelled, and skips onFailure", async () => {
    await h.engine.sendEvent([
      { name: "c/start", data: { id: "one" } },
      { name: "c/start", data: { id: "two" } },
    ]);
    const runs = await runningRunOf(fnId("cancellable"), 2);
    await sleep(300);
    await h.engine.sendEvent({ name: "c/cancel", data: { id: "one" } });
    const cancelled = await h.waitForRun((r) => r.functionId === fnId("cancellable"));
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.event.data).toEqual({ id: "one" });
    const other = runs.find((r) => r.id !== cancelled.id)!;
    expect((await h.engine.getRun(other.id))?.status).toBe("running");

    const res = await fetch(`${h.engine.url}/v1/runs/${other.id}`, { method: "DELETE", headers: h.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: { run_id: other.id, status: "cancelled" } });

    const events = await h.fresh.sql<{ name: string; data: { run_id: string } }[]>`
      select name, data from engine_events where name = 'inngest/function.cancelled'`;
    expect(events.map((e) => e.data.run_id).sort()).toEqual([cancelled.id, other.id].sort());
    await sleep(300);
    expect(ran).not.toContain("onFailure");
    expect(await h.engine.listRuns({ functionId: fnId("cancellable-failure") })).toHaveLength(0);
  });

  it("answers 409 to a checkpoint from a cancelled run's dispatch, so the SDK stops", async () => {
    await h.engine.sendEvent({ name: "c/gated" });
    const [run] = await runningRunOf(fnId("gated"), 1);
    while (!ran.includes("two-start")) await sleep(20);
    expect(await h.engine.cancelRun(run!.id, "operator said stop")).toBe(true);
    releaseGate();
    await sleep(500);
    const after = await h.engine.getRun(run!.id);
    expect(after?.status).toBe("cancelled");
    expect(after?.error).toMatchObject({ message: "operator said stop" });
    expect(ran).toContain("two-end");
    expect(ran).not.toContain("three");
    expect(after?.steps.map((s) => s.name)).toEqual(["one"]);
  });

  it("returns 404 when cancelling an unknown run over HTTP", async () => {
    const res = await fetch(`${h.engine.url}/v1/runs/nope`, { method: "DELETE", headers: h.auth });
    expect(res.status).toBe(404);
  });
});
