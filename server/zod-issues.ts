/**
 * THE zod-issue formatter, in a leaf of its own (the zod package only, no project import) so that
 * every layer can use the one copy: the domain (through server/errors.ts), the engine and the CLI,
 * which may import nothing else of server/ (scripts/import-rules.test.ts).
 */
import type { ZodError } from "zod";

/** One problem with one field: its dotted path ("defaults.timeoutMs", "" for the whole input) and the rule. */
export type FieldIssue = { field: string; message: string };

/**
 * Every issue as "path: message" (just the message at the root), joined by "; "; `prefix` puts
 * the issues under a field of a larger body ("payload"); `root` names the whole value for issues
 * about it ("input: ...") instead of the bare message; `limit` keeps the message short for bodies
 * that can hold thousands of bad items (the issues stay complete).
 */
export function describeZodIssues(
  err: ZodError,
  opts: { prefix?: string; root?: string; limit?: number } = {},
): { message: string; field?: string; issues: FieldIssue[] } {
  const pathOf = (p: readonly PropertyKey[]) =>
    [opts.prefix, ...p.map(String)].filter(Boolean).join(".") || opts.root || "";
  const issues = err.issues.map((i) => ({ field: pathOf(i.path), message: i.message }));
  const message = issues
    .slice(0, opts.limit)
    .map((i) => (i.field ? `${i.field}: ${i.message}` : i.message))
    .join("; ");
  return { message, field: issues[0]?.field || undefined, issues };
}
