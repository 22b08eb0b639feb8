import { describe, expect, it } from "vitest";
import { capValue, toRecordedError } from "./recorder";

describe("recorded values", () => {
  it("keeps small JSON as is and caps large values to a labelled preview", () => {
    expect(capValue({ a: 1, d: undefined })).toEqual({ a: 1 });
    expect(capValue(undefined)).toBeNull();
    const big = capValue({ text: "x".repeat(100_000) }, 1000) as { truncated: boolean; bytes: number; preview: string };
    expect(big.truncated).toBe(true);
    expect(big.bytes).toBeGreaterThan(100_000);
    expect(big.preview.length).toBe(500);
  });

  it("normalises errors from hooks, responses and odd throws", () => {
    expect(toRecordedError(new TypeError("bad"))).toMatchObject({
      name: "TypeError",
      message: "bad",
      stack: expect.stringContaining("bad"),
    });
    expect(toRecordedError({ name: "Error", message: "kaboom", __serialized: true })).toEqual({
      name: "Error",
      message: "kaboom",
    });
    expect(toRecordedError({ error: "Could not find step" })).toEqual({
      name: "Error",
      message: "Could not find step",
    });
    expect(toRecordedError("plain")).toEqual({ name: "Error", message: "plain" });
  });
});
