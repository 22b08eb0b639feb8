import { parse } from "@marcbachmann/cel-js";

/**
 * CEL, as Inngest uses it: trigger `if`, waitForEvent `if` (with `event` = the run's trigger
 * event and `async` = the candidate), cancelOn `if`, and flow-control `key` expressions.
 */
type Compiled = ReturnType<typeof parse>;
const cache = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = cache.get(expression);
  if (!fn) {
    fn = parse(expression);
    if (cache.size > 5_000) cache.clear();
    cache.set(expression, fn);
  }
  return fn;
}

/** Throws on a syntax error so sync can reject a bad config with a message. */
export function checkExpression(expression: string): void {
  compile(expression);
}

/** A missing field or type error means "no match", as in Inngest. */
export function matches(expression: string, context: Record<string, unknown>): boolean {
  try {
    return compile(expression)(context) === true;
  } catch {
    return false;
  }
}

/** A flow-control key: the expression's value as a string, or null if it can't be evaluated. */
export function evaluateKey(expression: string, context: Record<string, unknown>): string | null {
  try {
    const v: unknown = compile(expression)(context);
    if (v === null || v === undefined) return null;
    return typeof v === "string"
      ? v
      : JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
  } catch {
    return null;
  }
}

export function evaluateNumber(expression: string, context: Record<string, unknown>): number | null {
  try {
    const v: unknown = compile(expression)(context);
    if (typeof v === "bigint") return Number(v);
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
