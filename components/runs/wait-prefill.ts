/**
 * Event data that satisfies a wait's simple equality conditions, to prefill the "Send <event>"
 * editor. A wait's `if` is a CEL expression over `event` (the run's trigger event) and `async`
 * (the awaited one); the SDK turns `match: "data.x"` into `event.data.x == async.data.x`. Only
 * `&&`-joined equalities on `async.data.<path>` are understood, against a literal or a value of
 * the trigger event; anything else is left for the person to fill in (the server decides).
 */

type Json = string | number | boolean | null;

const PATH = /^async\.data\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/;
const EVENT_PATH = /^event\.data\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)$/;

/** Splits on `&&` outside string literals; null when the expression has `||` or `!` (a guess could mislead). */
function conjuncts(expr: string): string[] | null {
  const parts: string[] = [];
  let cur = "";
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote) {
      cur += c;
      if (c === "\\") cur += expr[++i] ?? "";
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    if (expr.startsWith("&&", i)) {
      parts.push(cur);
      cur = "";
      i++;
      continue;
    }
    if (expr.startsWith("||", i) || (c === "!" && expr[i + 1] !== "=")) return null;
    cur += c;
  }
  parts.push(cur);
  return parts
    .map((p) =>
      p
        .trim()
        .replace(/^\((.*)\)$/s, "$1")
        .trim(),
    )
    .filter(Boolean);
}

function literal(raw: string): { value: Json } | null {
  if (/^"(?:[^"\\]|\\.)*"$/s.test(raw)) {
    try {
      return { value: JSON.parse(raw) as string };
    } catch {
      return null;
    }
  }
  if (/^'(?:[^'\\]|\\.)*'$/s.test(raw)) return { value: raw.slice(1, -1).replace(/\\(.)/g, "$1") };
  if (/^-?\d+(\.\d+)?$/.test(raw)) return { value: Number(raw) };
  if (raw === "true" || raw === "false") return { value: raw === "true" };
  if (raw === "null") return { value: null };
  return null;
}

function lookup(obj: unknown, path: string): { value: unknown } | null {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (!cur || typeof cur !== "object" || Array.isArray(cur) || !(key in cur)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return { value: cur };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split(".");
  let cur = target;
  for (const key of keys.slice(0, -1)) {
    const next = cur[key];
    cur = cur[key] = next && typeof next === "object" && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
  }
  cur[keys.at(-1)!] = value;
}

export function prefillFromWait(expr: unknown, triggerData: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof expr !== "string" || !expr.trim()) return out;
  for (const clause of conjuncts(expr) ?? []) {
    const m = /^(.+?)\s*==\s*(.+)$/s.exec(clause);
    if (!m) continue;
    const [left, right] = [m[1]!.trim(), m[2]!.trim()];
    // Either side may name the awaited event's field.
    const [field, other] = PATH.test(left) ? [left, right] : PATH.test(right) ? [right, left] : [null, null];
    if (!field || !other) continue;
    const path = PATH.exec(field)![1]!;
    const fromEvent = EVENT_PATH.exec(other);
    const value = fromEvent ? lookup(triggerData, fromEvent[1]!) : literal(other);
    if (value) setPath(out, path, value.value);
  }
  return out;
}
