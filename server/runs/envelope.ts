import { createHmac, timingSafeEqual } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";
import { envelopeKey, verificationKeys } from "./envelope-key";
import { describeZodIssues } from "@/server/errors";

/**
 * What wflo adds to the data of an event it sends to start a workflow: who asked, the run's own
 * budget, require-approval, and which run a re-run repeats or a fork continues. It travels inside
 * the event so that every Inngest server carries it to the SDK unchanged; the workflow's own
 * input is the rest of `data`.
 *
 * Anyone who can send an event can write a `_wflo` object, so the envelope is believed only when
 * it carries wflo's signature: HMAC-SHA256 (server/runs/envelope-key.ts) over the canonical JSON
 * (RFC 8785) of the event id, the event name, the workflow input and the envelope's fields. A
 * signed envelope copied onto other input, another event name or another id no longer verifies;
 * an exact replay has the same id, which the server de-duplicates. wflo's server paths set the
 * event id themselves for that reason (server/runs/dispatch.ts). An envelope that does not verify
 * is dropped whole: the run gets no attribution, budget, approval requirement or links from it.
 */
export const WFLO_ENVELOPE_KEY = "_wflo";
const SIGNATURE_FIELD = "sig";
const SIGNATURE_VERSION = "v1";

export const wfloEnvelope = z.object({
  triggeredBy: z.object({ id: z.uuid().nullable(), email: z.string().min(1) }).optional(),
  rerunOf: z.string().min(1).optional(),
  /** The run's own budget (runs.trigger `budgetUsd`), nano-dollars as a decimal string: every LLM call of the run is held to it. */
  budgetNano: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
  /** `wflo run --require-approval`: every LLM call of the run (wflo.llm, trackLlmCall, wrap, adapters) waits for an approval; calls made inside a step are refused (server/approvals/gated-llm.ts, llm-gate-scope.ts). */
  requireApproval: z.boolean().optional(),
  /**
   * A fork (server/recovery/service.ts): the middleware serves the parent's recorded `step.run`
   * results up to `upToPosition` without executing them, so no LLM call is made or billed again.
   * `state` replaces what the checkpoint step saves (an operator's edit).
   */
  forkOf: z
    .object({
      runId: z.string().min(1),
      upToPosition: z.number().int().nonnegative(),
      checkpoint: z.object({ name: z.string().min(1), version: z.number().int().positive() }).optional(),
      state: z.unknown().optional(),
    })
    .optional(),
});
export type WfloEnvelope = z.infer<typeof wfloEnvelope>;

type Data = Record<string, unknown>;
/** An event as wflo sends it or the SDK hands it over (`ctx.event`). */
export type EnvelopedEvent = { id?: string | null; name: string; data?: unknown };

function asObject(data: unknown): Data | undefined {
  return data && typeof data === "object" && !Array.isArray(data) ? (data as Data) : undefined;
}

/** The workflow's input: the event data without wflo's envelope. */
export function eventInput(data: unknown): Data {
  const { [WFLO_ENVELOPE_KEY]: _envelope, ...input } = asObject(data) ?? {};
  return input;
}

/**
 * Event data carrying `envelope`, not yet signed: the one who sends the event signs it with the
 * event's id and name (`signEvent`; `sendEvent` in server/runs/dispatch.ts does). Sent unsigned,
 * the envelope is dropped by every reader.
 */
export function withEnvelope(input: Data, envelope: WfloEnvelope): Data {
  return { ...input, [WFLO_ENVELOPE_KEY]: envelope };
}

/** What is signed: the event's id and name, the workflow input and the envelope's fields, in RFC 8785 form. */
function signedBytes(event: { id: string; name: string }, input: Data, fields: Data): string {
  return canonicalize({ v: SIGNATURE_VERSION, id: event.id, name: event.name, input, envelope: fields }) ?? "null";
}

const signatureWith = (key: Buffer, bytes: string) =>
  `${SIGNATURE_VERSION}=${createHmac("sha256", key).update(bytes).digest("hex")}`;

function signatureOf(event: { id: string; name: string }, input: Data, fields: Data): string {
  return signatureWith(envelopeKey(), signedBytes(event, input, fields));
}

export class EnvelopeError extends Error {}

/**
 * Signs the envelope in `event.data` (if any) for exactly this id, name and input. Only wflo's own
 * server paths call this, with envelopes they built from an authenticated actor: never pass data
 * that came from outside with its `_wflo` still in it.
 */
export function signEvent<E extends { id: string; name: string; data: Data }>(event: E): E {
  const raw = event.data[WFLO_ENVELOPE_KEY];
  if (raw === undefined) return event;
  const parsed = wfloEnvelope.safeParse(raw);
  if (!parsed.success)
    throw new EnvelopeError(
      `${WFLO_ENVELOPE_KEY}: not a wflo envelope (${describeZodIssues(parsed.error, { root: "(root)" }).message})`,
    );
  // Signed as it will arrive: JSON drops undefined fields and turns dates into strings.
  const fields = JSON.parse(JSON.stringify(parsed.data)) as Data;
  const input = JSON.parse(JSON.stringify(eventInput(event.data))) as Data;
  return {
    ...event,
    data: { ...input, [WFLO_ENVELOPE_KEY]: { ...fields, [SIGNATURE_FIELD]: signatureOf(event, input, fields) } },
  };
}

export type ReadEnvelope = {
  input: Data;
  /** The verified envelope; empty when there was none or it was dropped. */
  envelope: WfloEnvelope;
  /** Why an envelope the event carried was dropped (for the warning naming the run), else null. */
  dropped: string | null;
};

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function verify(event: EnvelopedEvent): ReadEnvelope {
  const input = eventInput(event.data);
  const raw = asObject(event.data)?.[WFLO_ENVELOPE_KEY];
  if (raw === undefined) return { input, envelope: {}, dropped: null };
  const drop = (reason: string): ReadEnvelope => ({ input, envelope: {}, dropped: reason });
  const obj = asObject(raw);
  if (!obj) return drop("the envelope is not an object");
  const { [SIGNATURE_FIELD]: sig, ...fields } = obj;
  if (typeof sig !== "string" || !sig) return drop("the envelope is not signed");
  if (!event.id) return drop("the event has no id to check the envelope's signature against");
  let expected: string[];
  try {
    const bytes = signedBytes({ id: event.id, name: event.name }, input, fields);
    expected = verificationKeys().map((key) => signatureWith(key, bytes));
  } catch (err) {
    // No key resolvable here (or uncanonicalisable data): nothing can be believed.
    return drop(`the envelope's signature cannot be checked: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!expected.some((e) => sameSignature(sig, e)))
    return drop("the envelope's signature does not match this event (forged, or copied from another event or input)");
  const parsed = wfloEnvelope.safeParse(fields);
  if (!parsed.success) return drop("the signed envelope is malformed");
  return { input, envelope: parsed.data, dropped: null };
}

/** One check per event object: the middleware reads the envelope in several hooks of a request. */
const checked = new WeakMap<object, ReadEnvelope>();

/** The workflow input and the envelope, believed only when its signature verifies for this event. */
export function readEnvelope(event: EnvelopedEvent | null | undefined): ReadEnvelope {
  if (!event) return { input: {}, envelope: {}, dropped: null };
  let r = checked.get(event);
  if (!r) {
    r = verify(event);
    checked.set(event, r);
  }
  return r;
}
