/**
 * A structural diff of two JSON values, for comparing checkpoint versions. Paths are
 * JavaScript-like (`findings[1].text`); arrays compare by index, objects by key.
 */
export type DiffEntry =
  | { path: string; kind: "added"; after: unknown }
  | { path: string; kind: "removed"; before: unknown }
  | { path: string; kind: "changed"; before: unknown; after: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === "object" && !Array.isArray(v);
const keyPath = (base: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (base ? `${base}.${key}` : key) : `${base}[${JSON.stringify(key)}]`;

export function jsonDiff(before: unknown, after: unknown, path = ""): DiffEntry[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= before.length) out.push({ path: p, kind: "added", after: after[i] });
      else if (i >= after.length) out.push({ path: p, kind: "removed", before: before[i] });
      else out.push(...jsonDiff(before[i], after[i], p));
    }
    return out;
  }
  if (isObject(before) && isObject(after)) {
    const out: DiffEntry[] = [];
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const p = keyPath(path, k);
      if (!(k in before)) out.push({ path: p, kind: "added", after: after[k] });
      else if (!(k in after)) out.push({ path: p, kind: "removed", before: before[k] });
      else out.push(...jsonDiff(before[k], after[k], p));
    }
    return out;
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ path: path || "(root)", kind: "changed", before, after }];
}

const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * Problems with an operator's edit of checkpoint state: the workflow code reads the state it
 * saved, so an edit keeps the recorded shape (same keys, same JSON types). Paths start at `state`.
 */
export function shapeProblems(recorded: unknown, edited: unknown, path = "state"): string[] {
  const want = jsonType(recorded);
  const got = jsonType(edited);
  if (want !== got && recorded !== null && edited !== null)
    return [
      `${path}: must be ${want === "array" || want === "object" ? "an" : "a"} ${want} like the checkpoint's value, not ${got}`,
    ];
  if (isObject(recorded) && isObject(edited)) {
    const problems: string[] = [];
    for (const k of Object.keys(recorded))
      if (!(k in edited)) problems.push(`${keyPath(path, k)}: is missing; the checkpoint has it`);
    for (const k of Object.keys(edited)) {
      if (!(k in recorded))
        problems.push(`${keyPath(path, k)}: is not in the checkpoint; only its fields can be edited`);
      else problems.push(...shapeProblems(recorded[k], edited[k], keyPath(path, k)));
    }
    return problems;
  }
  if (Array.isArray(recorded) && Array.isArray(edited) && recorded.length > 0) {
    return edited.flatMap((v, i) => shapeProblems(recorded[Math.min(i, recorded.length - 1)], v, `${path}[${i}]`));
  }
  return [];
}
