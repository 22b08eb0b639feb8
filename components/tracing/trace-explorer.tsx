"use client";

import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { AlertTriangle, ChevronDown, ChevronRight } from "lucide-react";
import { useDeferredValue, useMemo, useRef, useState } from "react";
import { usd } from "@/components/governance/money";
import { formatDuration } from "@/components/runs/format";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import type { Trace, TraceSpan } from "@/server/tracing/types";
import { SpanDetail } from "./span-detail";
import { KIND_BAR, KIND_ICON, KINDS } from "./span-style";
import { indexTree, isFiltering, timeWindow, visibleRows, type TreeFilter } from "./tree";

const ROW_HEIGHT = 28;

/**
 * The trace explorer: a virtualised span tree with a waterfall beside it, search and filters,
 * the run's cost and latency summary, and a detail panel for the selected span. Polls while the
 * run is live (the same mechanism as the run page, so it works on any Inngest server).
 */
export function TraceExplorer({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.tracing.get.queryOptions({ runId }, { refetchInterval: (q) => (q.state.data?.terminal ? false : 1000) }),
  );
  // Parsed once per new response (the query keeps the same object while nothing changed).
  const trace = useMemo<Trace | null>(
    () => (query.data ? { ...query.data, spans: JSON.parse(query.data.spansJson) as TraceSpan[] } : null),
    [query.data],
  );
  if (query.error)
    return <Card className="px-5 py-6 text-sm text-rose-600">Trace not available: {errorMessage(query.error)}</Card>;
  if (!trace) return <Card className="px-5 py-6 text-sm text-slate-500">Loading the trace…</Card>;
  return <Explorer trace={trace} />;
}

export function Explorer({ trace }: { trace: Trace }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [kind, setKind] = useState<TreeFilter["kind"]>("all");
  const [errorsOnly, setErrorsOnly] = useState(false);
  // Typing stays responsive on big traces: the tree re-filters at React's lower priority.
  const deferredText = useDeferredValue(text);
  const filter: TreeFilter = useMemo(
    () => ({ text: deferredText, kind, errorsOnly }),
    [deferredText, kind, errorsOnly],
  );

  const children = useMemo(() => indexTree(trace.spans), [trace.spans]);
  const rows = useMemo(() => visibleRows(children, collapsed, filter), [children, collapsed, filter]);
  // A live trace's open spans grow to "now"; a finished one has a fixed window.
  const now = trace.terminal ? 0 : Date.now();
  const { t0, total } = useMemo(() => timeWindow(trace.spans, now || Date.now()), [trace.spans, now]);
  const selected = useMemo(() => trace.spans.find((s) => s.id === selectedId) ?? null, [trace.spans, selectedId]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });

  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const s = trace.summary;
  return (
    <Card data-testid="trace-explorer">
      <CardHeader
        title="Trace"
        description={`Trace id ${trace.traceId}${trace.terminal ? "" : " · updates live while the run executes"}`}
      />
      <div
        className="grid grid-cols-2 gap-x-6 gap-y-3 border-b border-slate-100 px-5 py-3 text-sm sm:grid-cols-4 xl:grid-cols-8 dark:border-slate-800"
        data-testid="trace-summary"
      >
        <Summary label="Duration" value={s.durationMs === null ? "—" : formatDuration(s.durationMs)} />
        <Summary label="Spans" value={s.spans.toLocaleString("en-US")} />
        <Summary label="LLM calls" value={s.llmCalls} />
        <Summary
          label="Tokens in / out"
          value={`${s.inputTokens.toLocaleString("en-US")} / ${s.outputTokens.toLocaleString("en-US")}`}
        />
        <Summary label="Cost" value={usd(BigInt(s.costNano))} />
        <Summary label="Errors" value={s.errors} tone={s.errors ? "text-rose-600 dark:text-rose-400" : undefined} />
        <Summary label="Step p50" value={s.stepP50Ms === null ? "—" : formatDuration(s.stepP50Ms)} />
        <Summary label="Step p95" value={s.stepP95Ms === null ? "—" : formatDuration(s.stepP95Ms)} />
      </div>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-5 py-2 dark:border-slate-800">
        <input
          type="search"
          aria-label="Search spans"
          placeholder="Search spans, models, attributes…"
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="min-w-[14rem] flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
        />
        <select
          aria-label="Span kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as TreeFilter["kind"])}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
        >
          <option value="all">All kinds</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
        <label className="flex items-center gap-1 text-sm text-slate-600 dark:text-slate-300">
          <input type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly(e.target.checked)} /> Errors only
        </label>
        <span className="text-xs tabular-nums text-slate-500" data-testid="trace-row-count">
          {isFiltering(filter) ? `${rows.filter((r) => r.match).length} matching` : `${rows.length} shown`}
        </span>
      </div>
      <div className="grid grid-cols-1 lg:grid-cols-[minmax(0,1fr)_26rem]">
        <div className="min-w-0 border-slate-100 lg:border-r dark:border-slate-800">
          <div className="grid grid-cols-[minmax(0,2fr)_minmax(0,3fr)] border-b border-slate-100 px-3 py-1 text-xs font-medium uppercase tracking-wide text-slate-500 dark:border-slate-800">
            <span>Span</span>
            <span className="flex justify-between">
              <span>0</span>
              <span>{formatDuration(total)}</span>
            </span>
          </div>
          <div ref={scrollRef} className="h-[28rem] overflow-auto" role="tree" aria-label="Spans">
            <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
              {virtualizer.getVirtualItems().map((v) => {
                const row = rows[v.index];
                if (!row) return null;
                const sp = row.span;
                const Icon = KIND_ICON[sp.kind];
                const end = sp.endMs ?? (now || Date.now());
                const left = ((sp.startMs - t0) / total) * 100;
                const width = Math.max(0.4, ((end - sp.startMs) / total) * 100);
                const isOpen = row.hasChildren && !collapsed.has(sp.id);
                return (
                  // biome-ignore lint/a11y/useKeyWithClickEvents: known gap, the span tree has no keyboard navigation yet.
                  // biome-ignore lint/a11y/useFocusableInteractive: same gap (a roving tabindex would come with keyboard navigation).
                  <div
                    key={sp.id}
                    role="treeitem"
                    aria-level={row.depth + 1}
                    aria-selected={selectedId === sp.id}
                    aria-expanded={row.hasChildren ? isOpen : undefined}
                    data-testid={`span-${sp.kind}`}
                    data-span-id={sp.id}
                    onClick={() => setSelectedId(sp.id)}
                    className={cn(
                      "absolute left-0 grid w-full cursor-pointer grid-cols-[minmax(0,2fr)_minmax(0,3fr)] items-center px-3 text-sm hover:bg-slate-50 dark:hover:bg-slate-800/60",
                      selectedId === sp.id && "bg-brand-50 dark:bg-brand-700/20",
                    )}
                    style={{ top: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                  >
                    <div className="flex min-w-0 items-center gap-1" style={{ paddingLeft: row.depth * 14 }}>
                      {row.hasChildren ? (
                        <button
                          type="button"
                          aria-label={isOpen ? `Collapse ${sp.name}` : `Expand ${sp.name}`}
                          className="rounded p-0.5 text-slate-500 hover:bg-slate-200 dark:hover:bg-slate-700"
                          onClick={(e) => {
                            e.stopPropagation();
                            toggle(sp.id);
                          }}
                        >
                          {isOpen ? <ChevronDown className="h-3.5 w-3.5" /> : <ChevronRight className="h-3.5 w-3.5" />}
                        </button>
                      ) : (
                        <span className="w-[18px] shrink-0" />
                      )}
                      <Icon
                        className={cn(
                          "h-3.5 w-3.5 shrink-0",
                          sp.status === "error" ? "text-rose-500" : "text-slate-500",
                        )}
                      />
                      <span
                        className={cn("truncate", row.match && "font-semibold text-brand-700 dark:text-brand-100")}
                        title={sp.name}
                      >
                        {sp.name}
                      </span>
                      {sp.status === "error" ? (
                        <AlertTriangle className="h-3 w-3 shrink-0 text-rose-500" aria-label="error" />
                      ) : null}
                    </div>
                    <div className="relative h-3 min-w-0">
                      <div
                        className={cn(
                          "absolute top-0 h-3 rounded-sm",
                          sp.status === "error" ? "bg-rose-500" : KIND_BAR[sp.kind],
                          sp.endMs === null && "animate-pulse",
                        )}
                        style={{
                          left: `${Math.min(left, 99.6)}%`,
                          width: `${Math.min(width, 100 - Math.min(left, 99.6))}%`,
                        }}
                        title={`${formatDuration(end - sp.startMs)} at +${formatDuration(sp.startMs - t0)}`}
                      />
                    </div>
                  </div>
                );
              })}
            </div>
            {rows.length === 0 ? (
              <p className="px-5 py-8 text-center text-sm text-slate-500">No span matches.</p>
            ) : null}
          </div>
        </div>
        <SpanDetail span={selected} t0={t0} now={now || Date.now()} />
      </div>
    </Card>
  );
}

function Summary({ label, value, tone }: { label: string; value: React.ReactNode; tone?: string }) {
  return (
    <div className="min-w-0">
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</div>
      <div className={cn("mt-0.5 truncate tabular-nums", tone)}>{value}</div>
    </div>
  );
}
