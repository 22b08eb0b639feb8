import { describe, expect, it } from "vitest";
import type { TraceSpan } from "@/server/tracing/types";
import { indexTree, visibleRows, type TreeFilter } from "./tree";

const span = (id: string, parentId: string | null, startMs: number, extra: Partial<TraceSpan> = {}): TraceSpan => ({
  id,
  parentId,
  kind: "step",
  name: id,
  status: "ok",
  startMs,
  endMs: startMs + 1,
  attributes: {},
  ...extra,
});
const none: TreeFilter = { text: "", kind: "all", errorsOnly: false };

describe("span tree", () => {
  const spans = [
    span("run", null, 0, { kind: "run" }),
    span("b", "run", 20),
    span("a", "run", 10),
    span("a1", "a", 11, { kind: "llm", name: "openai/gpt-4o" }),
    span("orphan", "missing", 5),
    span("b1", "b", 21, { status: "error" }),
  ];
  const tree = indexTree(spans);

  it("orders children by start and lifts spans with unknown parents to the top", () => {
    expect(visibleRows(tree, new Set(), none).map((r) => [r.span.id, r.depth])).toEqual([
      ["run", 0],
      ["a", 1],
      ["a1", 2],
      ["b", 1],
      ["b1", 2],
      ["orphan", 0],
    ]);
  });

  it("hides a collapsed subtree", () => {
    expect(visibleRows(tree, new Set(["a"]), none).map((r) => r.span.id)).toEqual(["run", "a", "b", "b1", "orphan"]);
  });

  it("keeps matches with their path from the root, ignoring collapse", () => {
    const rows = visibleRows(tree, new Set(["a"]), { ...none, text: "GPT-4O" });
    expect(rows.map((r) => [r.span.id, r.match])).toEqual([
      ["run", false],
      ["a", false],
      ["a1", true],
    ]);
    expect(visibleRows(tree, new Set(), { ...none, errorsOnly: true }).map((r) => r.span.id)).toEqual([
      "run",
      "b",
      "b1",
    ]);
    expect(
      visibleRows(tree, new Set(), { ...none, kind: "llm" })
        .filter((r) => r.match)
        .map((r) => r.span.id),
    ).toEqual(["a1"]);
  });

  it("handles a 5,000-deep chain without recursion", () => {
    const chain = Array.from({ length: 5000 }, (_, i) => span(`s${i}`, i ? `s${i - 1}` : null, i));
    expect(visibleRows(indexTree(chain), new Set(), none)).toHaveLength(5000);
    expect(visibleRows(indexTree(chain), new Set(), { ...none, text: "s4999" })).toHaveLength(5000);
  });
});
