import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ENVELOPE_KEY_ENV,
  EnvelopeKeyError,
  envelopeKey,
  envelopeKeySource,
  PREVIOUS_ENVELOPE_KEYS_ENV,
} from "./envelope-key";
import { EnvelopeError, readEnvelope, signEvent, withEnvelope } from "./envelope";

/**
 * The envelope's signature on its own: what it binds (id, name, input, fields) and where its key
 * comes from. The end-to-end cases (forged events on the engine) are in
 * server/security/forged-envelope.test.ts.
 */
const by = {
  triggeredBy: { id: "00000000-0000-4000-8000-000000000001", email: "op@example.com" },
  budgetNano: "5000",
  rerunOf: "01PARENT",
};
const signed = () =>
  signEvent({
    id: "evt-1",
    name: "demo/hello.requested",
    data: withEnvelope({ name: "Ada", when: new Date(0), skip: undefined }, by),
  });
/** Through JSON, as any Inngest server hands the event to the SDK. */
const delivered = <T>(e: T): T => JSON.parse(JSON.stringify(e)) as T;

describe("the signed envelope", () => {
  it("verifies for the event it was signed for, after a JSON round trip, and yields the input without it", () => {
    const r = readEnvelope(delivered(signed()));
    expect(r).toEqual({ input: { name: "Ada", when: "1970-01-01T00:00:00.000Z" }, envelope: by, dropped: null });
  });

  it("is dropped whole when moved to another id, name or input, or when a field is changed", () => {
    const e = delivered(signed());
    const dropped = (x: typeof e) => readEnvelope(x);
    for (const moved of [
      { ...e, id: "evt-2" },
      { ...e, name: "demo/other" },
      { ...e, data: { ...e.data, name: "Eve" } },
      { ...e, data: { ...e.data, extra: 1 } },
    ]) {
      expect(dropped(moved)).toMatchObject({
        envelope: {},
        dropped: expect.stringMatching(/does not match this event/),
      });
    }
    const wflo = e.data._wflo as Record<string, unknown>;
    expect(dropped({ ...e, data: { ...e.data, _wflo: { ...wflo, budgetNano: "999999999" } } }).envelope).toEqual({});
    expect(dropped({ ...e, data: { ...e.data, _wflo: { ...wflo, requireApproval: false } } }).envelope).toEqual({});
    // The input is the data without the envelope either way.
    expect(dropped({ ...e, data: { ...e.data, name: "Eve" } }).input).toEqual({
      name: "Eve",
      when: "1970-01-01T00:00:00.000Z",
    });
  });

  it("is dropped when unsigned, signed by another key, or on an event without an id; no envelope is no drop", () => {
    expect(readEnvelope({ id: "e", name: "n", data: { a: 1, _wflo: by } })).toEqual({
      input: { a: 1 },
      envelope: {},
      dropped: "the envelope is not signed",
    });
    expect(readEnvelope({ id: "e", name: "n", data: { _wflo: "x" } }).dropped).toBe("the envelope is not an object");
    const e = delivered(signed());
    const other = createHmac("sha256", "another key").update("x").digest("hex");
    expect(
      readEnvelope({ ...e, data: { ...e.data, _wflo: { ...(e.data._wflo as object), sig: `v1=${other}` } } }).envelope,
    ).toEqual({});
    expect(readEnvelope({ ...e, id: null }).dropped).toMatch(/no id/);
    expect(readEnvelope({ id: "e", name: "n", data: { a: 1 } })).toEqual({
      input: { a: 1 },
      envelope: {},
      dropped: null,
    });
  });

  it("refuses to sign something that is not a wflo envelope", () => {
    expect(() => signEvent({ id: "e", name: "n", data: { _wflo: { budgetNano: "-1" } } })).toThrow(EnvelopeError);
    // No envelope: nothing to sign, the event is sent as it is.
    expect(signEvent({ id: "e", name: "n", data: { a: 1 } })).toEqual({ id: "e", name: "n", data: { a: 1 } });
  });
});

describe("the envelope key", () => {
  const engineKey = `signkey-test-${"ab".repeat(32)}`;
  it("is derived (never the raw secret) from WFLO_ENVELOPE_KEY, else INNGEST_SIGNING_KEY, else the engine signing key", () => {
    const own = "x".repeat(40);
    expect(
      envelopeKeySource({
        [ENVELOPE_KEY_ENV]: own,
        INNGEST_SIGNING_KEY: "signkey-prod-1",
        WFLO_ENGINE_SIGNING_KEY: engineKey,
      }),
    ).toBe(ENVELOPE_KEY_ENV);
    expect(envelopeKeySource({ INNGEST_SIGNING_KEY: "signkey-prod-1", WFLO_ENGINE_SIGNING_KEY: engineKey })).toBe(
      "INNGEST_SIGNING_KEY",
    );
    expect(envelopeKeySource({ WFLO_ENGINE_SIGNING_KEY: engineKey })).toBe("engine signing key");
    const k = envelopeKey({ WFLO_ENGINE_SIGNING_KEY: engineKey });
    expect(k).toHaveLength(32);
    expect(k.toString("hex")).not.toContain("ab".repeat(16));
    expect(envelopeKey({ [ENVELOPE_KEY_ENV]: own }).equals(k)).toBe(false);
  });

  it("after a rotation, verifies envelopes signed with a key listed in WFLO_ENVELOPE_KEY_PREVIOUS, and signs only with the new one", () => {
    const saved = { key: process.env[ENVELOPE_KEY_ENV], previous: process.env[PREVIOUS_ENVELOPE_KEYS_ENV] };
    const [oldKey, newKey] = ["o".repeat(40), "n".repeat(40)];
    try {
      process.env[ENVELOPE_KEY_ENV] = oldKey;
      const before = signed();
      process.env[ENVELOPE_KEY_ENV] = newKey;
      expect(readEnvelope(delivered(before)).envelope).toEqual({});
      process.env[PREVIOUS_ENVELOPE_KEYS_ENV] = ` ${oldKey} ,`;
      expect(readEnvelope(delivered(before)).envelope).toEqual(by);
      const after = signed();
      process.env[ENVELOPE_KEY_ENV] = oldKey;
      process.env[PREVIOUS_ENVELOPE_KEYS_ENV] = "";
      expect(readEnvelope(delivered(after)).envelope).toEqual({});
    } finally {
      for (const [k, v] of [
        [ENVELOPE_KEY_ENV, saved.key],
        [PREVIOUS_ENVELOPE_KEYS_ENV, saved.previous],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("refuses a short WFLO_ENVELOPE_KEY, naming the variable and the rule", () => {
    expect(() => envelopeKey({ [ENVELOPE_KEY_ENV]: "short" })).toThrow(EnvelopeKeyError);
    expect(() => envelopeKey({ [ENVELOPE_KEY_ENV]: "short" })).toThrow(
      /WFLO_ENVELOPE_KEY must be at least 32 characters/,
    );
  });
});
