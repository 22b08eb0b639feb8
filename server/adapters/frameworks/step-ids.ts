import type { AdapterContext } from "../framework";

/**
 * Step ids for work an adapter turns into durable steps while a framework's loop runs outside
 * any step: `<base>:<n>`, n counting that base's uses in call order. The loop re-executes on
 * every engine request, so counters are kept per request (keyed by an object the request
 * creates, such as `ctx.wflo.trackLlmCall`) and a replay reaches the same ids in the same order.
 */
const counters = new WeakMap<object, Map<string, number>>();

export function countedStepId(key: object, base: string): string {
  let m = counters.get(key);
  if (!m) counters.set(key, (m = new Map()));
  const n = (m.get(base) ?? 0) + 1;
  m.set(base, n);
  return `${base}:${n}`;
}

/** Runs one tool execution as the durable step `tool:<name>:<n>`; its result is memoised (undefined as null). */
export function durableToolCall<R>(ctx: AdapterContext, name: string, run: () => Promise<R> | R): Promise<unknown> {
  return ctx.step.run(countedStepId(ctx.wflo.trackLlmCall, `tool:${name}`), async () => (await run()) ?? null);
}
