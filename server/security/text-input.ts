/**
 * One normalisation of text input for every edge that accepts it (tRPC, REST, OTLP, the engine's
 * intake). PostgreSQL text and jsonb refuse NUL (U+0000), and a lone UTF-16 surrogate cannot be
 * encoded as UTF-8, so either would turn into a 500 deep inside a query; here they become a 400
 * that names the field. A leaf module on purpose (no imports): the engine may use it too.
 */

export type BadText = { path: string; problem: "a NUL byte" | "a lone UTF-16 surrogate" };

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(s: string): BadText["problem"] | null {
  if (s.includes("\0")) return "a NUL byte";
  if (LONE_SURROGATE.test(s)) return "a lone UTF-16 surrogate";
  return null;
}

// A key that is not a plain name (an OTLP attribute "user.note", a key with spaces) is quoted, so the path stays unambiguous.
const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;
const join = (base: string, key: string | number) =>
  typeof key === "number"
    ? `${base}[${key}]`
    : !PLAIN_KEY.test(key)
      ? `${base}[${JSON.stringify(key)}]`
      : base
        ? `${base}.${key}`
        : key;

/**
 * The first string (value or object key) in `value` that holds a NUL byte or a lone surrogate,
 * with its path ("details.items[2].name"), or null when all text is clean. Walks iteratively
 * so a deeply nested body cannot overflow the stack.
 */
export function findBadText(value: unknown, root = ""): BadText | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      const problem = problemOf(v);
      if (problem) return { path: path || "(input)", problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], join(path, i)]);
    } else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        const problem = problemOf(k);
        if (problem) return { path: join(path, k), problem };
        stack.push([child, join(path, k)]);
      }
    }
  }
  return null;
}

/** "name: must not contain a NUL byte" — the message every edge answers with (HTTP 400). */
export function badTextMessage(bad: BadText): string {
  return `${bad.path}: must not contain ${bad.problem}`;
}

/** Throws `make(message, field)` for the first bad string in `value`; the edge picks its error type. */
export function assertCleanText(value: unknown, make: (message: string, field: string) => Error, root = ""): void {
  const bad = findBadText(value, root);
  if (bad) throw make(badTextMessage(bad), bad.path);
}
