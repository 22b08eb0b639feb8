import type { RunTrace } from "../sdk/client";

type TraceSpan = RunTrace["spans"][number];

/** Nano-dollars (decimal string) -> "$0.0123": exact, through bigint. */
export function usd(nano: string | null | undefined): string {
  if (nano === null || nano === undefined) return "-";
  const n = BigInt(nano);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const whole = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}$${whole}.${frac.padEnd(2, "0").slice(0, Math.max(2, Math.min(frac.length, 6)))}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "…";
  return ms < 1000
    ? `${Math.round(ms)}ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)}s`
      : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** Left-aligned columns, no dependency. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

const MARK: Record<string, string> = { ok: "✓", error: "✗", running: "…", unset: "·" };

/** The span tree, depth-first in start order; spans whose parent never arrived hang off the root. */
export function spanTree(spans: TraceSpan[]): string {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string | null, TraceSpan[]>();
  for (const s of spans) {
    const parent = s.parentId && ids.has(s.parentId) ? s.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
  const out: string[] = [];
  const walk = (parent: string | null, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((s, i) => {
      const last = i === list.length - 1;
      const branch = parent === null ? "" : last ? "└─ " : "├─ ";
      const llm = s.llm
        ? `  ${s.llm.model} ${s.llm.inputTokens}→${s.llm.outputTokens} tok ${usd(s.llm.costNano)}${s.llm.simulated ? " (simulated)" : ""}`
        : "";
      out.push(
        `${prefix}${branch}${MARK[s.status] ?? "·"} ${s.name} [${s.kind}] ${duration(s.endMs === null ? null : s.endMs - s.startMs)}${llm}`,
      );
      walk(s.id, parent === null ? prefix : prefix + (last ? "   " : "│  "));
    });
  };
  walk(null, "");
  return out.join("\n");
}
