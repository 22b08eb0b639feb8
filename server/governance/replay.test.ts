import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { REPLAY_RESULT_CAP_BYTES, trackLlmCall, type CallContext } from "./track";

/**
 * The crash window the durable step cannot cover: the call was settled (billed) but the
 * process died before `step.run` saved its result. The retried step, with the same
 * idempotency key, must get the recorded result back without calling or paying again.
 * The crash is simulated by the payload capture (which runs after the settle) throwing once.
 */
const crash = vi.hoisted(() => ({ next: false }));
vi.mock("@/server/tracing/capture", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/server/tracing/capture")>();
  return {
    ...real,
    captureLlmPayload: async (...args: Parameters<typeof real.captureLlmPayload>) => {
      if (crash.next) {
        crash.next = false;
        throw new Error("simulated crash after the settle");
      }
      return real.captureLlmPayload(...args);
    },
  };
});

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => {
  await fresh?.drop();
});

const request = { model: "gpt-4o", provider: "openai", prompt: "Say hello", maxOutputTokens: 100 };
const completion = (n: number, extra: object = {}) => ({
  object: "chat.completion",
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", content: `hello #${n}` } }],
  usage: { prompt_tokens: 12, completion_tokens: 30 },
  ...extra,
});

/** A provider that counts its calls; `fail` makes the first `fail` calls throw. */
function provider(opts: { fail?: number; extra?: object } = {}) {
  const p = {
    calls: 0,
    call: async () => {
      p.calls += 1;
      if (p.calls <= (opts.fail ?? 0)) throw new Error(`provider 500 on call ${p.calls}`);
      return completion(p.calls, opts.extra);
    },
  };
  return p;
}

const ctxFor = (runId: string): CallContext => ({
  runId,
  stepId: "draft",
  workflow: "wf",
  idempotencyKey: `${runId}:draft`,
});

async function rows(runId: string) {
  const calls = await fresh.sql<
    { id: string; status: string; cost_nano: string }[]
  >`select id, status, cost_nano from llm_calls where run_id = ${runId} order by id`;
  const res = await fresh.sql<{ status: string }[]>`select status from reservations where run_id = ${runId}`;
  return { calls, reservations: res.map((r) => r.status) };
}

describe("trackLlmCall replays a settled call for a retried step", () => {
  it("dies after the settle: the retry returns the recorded result without calling or charging again", async () => {
    const p = provider();
    crash.next = true;
    await expect(trackLlmCall(fresh.db, ctxFor("run-crash"), request, p.call)).rejects.toThrow(
      "simulated crash after the settle",
    );
    const afterCrash = await rows("run-crash");
    expect(afterCrash.calls).toHaveLength(1);
    expect(afterCrash.calls[0]!.status).toBe("ok");

    const retry = await trackLlmCall(fresh.db, ctxFor("run-crash"), request, p.call);
    expect(p.calls).toBe(1);
    expect(retry.replayed).toBe(true);
    expect(retry.result).toEqual(completion(1));
    expect(retry.costNano).toBeGreaterThan(0n);
    expect(retry.costNano).toBe(BigInt(afterCrash.calls[0]!.cost_nano));
    expect(retry.callId).toBe(Number(afterCrash.calls[0]!.id));
    expect(retry.usage).toMatchObject({ inputTokens: 12, outputTokens: 30 });

    const after = await rows("run-crash");
    expect(after.calls).toHaveLength(1);
    expect(after.reservations).toEqual(["settled"]); // no second reservation, nothing held
  });

  it("the same key twice: one provider call, one llm_calls row, the same result and cost", async () => {
    const p = provider();
    const first = await trackLlmCall(fresh.db, ctxFor("run-twice"), request, p.call);
    const second = await trackLlmCall(fresh.db, ctxFor("run-twice"), request, p.call);
    expect(p.calls).toBe(1);
    expect(first.replayed).toBeUndefined();
    expect(second.replayed).toBe(true);
    expect(second.result).toEqual(first.result);
    expect(second.costNano).toBe(first.costNano);
    expect(second.callId).toBe(first.callId);
    expect(second.reservationId).toBe(first.reservationId);
    expect((await rows("run-twice")).calls).toHaveLength(1);
  });

  it("a failed call is not replayed: the retry calls again, and its success is what a later retry gets", async () => {
    const p = provider({ fail: 1 });
    await expect(trackLlmCall(fresh.db, ctxFor("run-fail"), request, p.call)).rejects.toThrow("provider 500 on call 1");
    const ok = await trackLlmCall(fresh.db, ctxFor("run-fail"), request, p.call);
    expect(p.calls).toBe(2);
    expect(ok.replayed).toBeUndefined();
    expect(ok.result).toEqual(completion(2));
    const again = await trackLlmCall(fresh.db, ctxFor("run-fail"), request, p.call);
    expect(p.calls).toBe(2);
    expect(again.replayed).toBe(true);
    expect(again.result).toEqual(completion(2));
    expect(again.costNano).toBe(ok.costNano);
    const r = await rows("run-fail");
    expect(r.calls.map((c) => c.status)).toEqual(["error", "ok"]);
  });

  it("a result over 4 MiB is not stored: a retry calls again (the behaviour before replay)", async () => {
    const p = provider({ extra: { big: "x".repeat(REPLAY_RESULT_CAP_BYTES) } });
    await trackLlmCall(fresh.db, ctxFor("run-big"), request, p.call);
    const second = await trackLlmCall(fresh.db, ctxFor("run-big"), request, p.call);
    expect(p.calls).toBe(2);
    expect(second.replayed).toBeUndefined();
    expect((await rows("run-big")).calls).toHaveLength(2);
  });

  it("without an idempotency key nothing is replayed", async () => {
    const p = provider();
    const ctx = { runId: "run-nokey", stepId: "draft" };
    await trackLlmCall(fresh.db, ctx, request, p.call);
    await trackLlmCall(fresh.db, ctx, request, p.call);
    expect(p.calls).toBe(2);
    expect((await rows("run-nokey")).calls).toHaveLength(2);
  });
});
