import type { TraceSpan } from "@/server/tracing/types";

/** One visible line of the span tree. */
export type Row = { span: TraceSpan; depth: number; hasChildren: boolean; match: boolean };

export type TreeFilter = { text: string; kind: TraceSpan["kind"] | "all"; errorsOnly: boolean };

/** Children by parent id, each list in start order; spans whose parent is missing become roots. */
export function indexTree(spans: readonly TraceSpan[]) {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string | null, TraceSpan[]>();
  for (const s of spans) {
    const parent = s.parentId !== null && ids.has(s.parentId) ? s.parentId : null;
    const list = children.get(parent);
    if (list) list.push(s);
    else children.set(parent, [s]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
  return children;
}

function matches(s: TraceSpan, f: TreeFilter, needle: string): boolean {
  if (f.kind !== "all" && s.kind !== f.kind) return false;
  if (f.errorsOnly && s.status !== "error") return false;
  if (!needle) return true;
  if (s.name.toLowerCase().includes(needle) || s.id.toLowerCase().includes(needle)) return true;
  if (s.llm?.model.toLowerCase().includes(needle)) return true;
  return Object.entries(s.attributes).some(
    ([k, v]) => k.toLowerCase().includes(needle) || String(v).toLowerCase().includes(needle),
  );
}

export const isFiltering = (f: TreeFilter) => f.text.trim() !== "" || f.kind !== "all" || f.errorsOnly;

/**
 * The rows to render, depth-first in start order. Collapsed spans hide their subtree. While a
 * filter is on, a span shows when it matches or has a matching descendant (so every match keeps
 * its path from the root), and collapsing is ignored so no match hides behind a closed parent.
 * Iterative, so a 5,000-deep chain cannot overflow the stack.
 */
export function visibleRows(
  children: Map<string | null, TraceSpan[]>,
  collapsed: ReadonlySet<string>,
  f: TreeFilter,
): Row[] {
  const filtering = isFiltering(f);
  const needle = f.text.trim().toLowerCase();
  let keep: Set<string> | null = null;
  const matched = new Set<string>();
  if (filtering) {
    keep = new Set();
    const byId = new Map<string, TraceSpan>();
    for (const list of children.values()) for (const s of list) byId.set(s.id, s);
    for (const s of byId.values()) {
      if (!matches(s, f, needle)) continue;
      matched.add(s.id);
      let cur: TraceSpan | undefined = s;
      while (cur && !keep.has(cur.id)) {
        keep.add(cur.id);
        cur = cur.parentId ? byId.get(cur.parentId) : undefined;
      }
    }
  }
  const rows: Row[] = [];
  const stack: { span: TraceSpan; depth: number }[] = [...(children.get(null) ?? [])]
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  while (stack.length) {
    const { span, depth } = stack.pop()!;
    if (keep && !keep.has(span.id)) continue;
    const kids = children.get(span.id) ?? [];
    rows.push({ span, depth, hasChildren: kids.length > 0, match: filtering && matched.has(span.id) });
    if (!filtering && collapsed.has(span.id)) continue;
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
  }
  return rows;
}

/** The time window the waterfall draws: the earliest start to the latest end (or now for open spans). */
export function timeWindow(spans: readonly TraceSpan[], now: number): { t0: number; total: number } {
  if (spans.length === 0) return { t0: now, total: 1 };
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spans) {
    t0 = Math.min(t0, s.startMs);
    t1 = Math.max(t1, s.endMs ?? now);
  }
  return { t0, total: Math.max(1, t1 - t0) };
}
