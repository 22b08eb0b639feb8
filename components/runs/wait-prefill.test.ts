import { describe, expect, it } from "vitest";
import { prefillFromWait } from "./wait-prefill";

describe("prefillFromWait", () => {
  it("takes equalities on the awaited event's data from literals", () => {
    expect(prefillFromWait('async.data.topicId == "topic_01ABC"', {})).toEqual({ topicId: "topic_01ABC" });
    expect(
      prefillFromWait(
        `async.data.a == 'x' && (async.data.n == 3) && true == async.data.ok && async.data.user.id == "u\\"1"`,
        {},
      ),
    ).toEqual({
      a: "x",
      n: 3,
      ok: true,
      user: { id: 'u"1' },
    });
  });

  it("resolves the trigger event's values, as the SDK's `match` produces them", () => {
    expect(prefillFromWait("event.data.orderId == async.data.orderId", { orderId: "o-7" })).toEqual({ orderId: "o-7" });
    expect(prefillFromWait("event.data.missing == async.data.orderId", { orderId: "o-7" })).toEqual({});
  });

  it("leaves anything it does not understand to the person", () => {
    expect(prefillFromWait(undefined, {})).toEqual({});
    expect(prefillFromWait('async.data.a == "x" || async.data.b == "y"', {})).toEqual({});
    expect(prefillFromWait('!(async.data.a == "x")', {})).toEqual({});
    expect(prefillFromWait('async.data.n > 3 && async.data.a == "a && b"', {})).toEqual({ a: "a && b" });
    expect(prefillFromWait("size(async.data.items) == 2", {})).toEqual({});
  });
});
