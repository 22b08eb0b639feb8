"use client";

import { useQuery } from "@tanstack/react-query";
import { useVirtualizer } from "@tanstack/react-virtual";
import { AlertTriangle, Bot, ChevronDown, ChevronRight, CircleDot, Cpu, Flag, Hand, Play, Wrench } from "lucide-react";
import { useDeferredValue, useMemo, useRef, useState } from "react";
import { usd } from "@/components/governance/money";
import { formatDuration } from "@/components/runs/format";
import { JsonView } from "@/components/runs/json-view";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge, type Tone } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import type { Trace, TraceSpan } from "@/server/tracing/types";
import { indexTree, isFiltering, timeWindow, visibleRows, type TreeFilter } from "./tree";

const ROW_HEIGHT = 28;
const KINDS: TraceSpan["kind"][] = ["run", "step", "llm", "tool", "sandbox", "approval", "checkpoint", "span"];
const KIND_ICON: Record<TraceSpan["kind"], React.ComponentType<{ className?: string }>> = {
  run: Play,
  step: CircleDot,
  llm: Bot,
  tool: Wrench,
  sandbox: Cpu,
  approval: Hand,
  checkpoint: Flag,
  span: CircleDot,
};
/** Bar colours by kind; an error span is always red so failures stand out in the waterfall. */
const KIND_BAR: Record<TraceSpan["kind"], string> = {
  run: "bg-slate-400 dark:bg-slate-500",
  step: "bg-brand-500",
  llm: "bg-violet-500",
  tool: "bg-amber-500",
  sandbox: "bg-teal-500",
  approval: "bg-orange-500",
  checkpoint: "bg-sky-500",
  span: "bg-slate-500",
};
const STATUS_TONE: Record<TraceSpan["status"], Tone> = { ok: "green", error: "red", running: "blue", unset: "slate" };

/**
 * The trace explorer: a virtualised span tree with a waterfall beside it, search and filters,
 * the run's cost and latency summary, and a detail panel for the selected span. Polls while the
 * run is live (the same mechanism as the run page, so it works on any Inngest server).
 */
export function TraceExplorer({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.tracing.get.queryOptions({ runId }, { refetchInterval: (q) => (q.state.data?.terminal ? false : 1000) }));
  // Parsed once per new response (the query keeps the same object while nothing changed).
  const trace = useMemo<Trace | null>(() => (query.data ? { ...query.data, spans: JSON.parse(query.data.spansJson) as TraceSpan[] } : null), [query.data]);
  if (query.error) return <Card className="px-5 py-6 text-sm text-rose-600">Trace not available: {errorMessage(query.error)}</Card>;
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
  const filter: TreeFilter = useMemo(() => ({ text: deferredText, kind, errorsOnly }), [deferredText, kind, errorsOnly]);

  const children = useMemo(() => indexTree(trace.spans), [trace.spans]);
  const rows = useMemo(() => visibleRows(children, collapsed, filter), [children, collapsed, filter]);
  // A live trace's open spans grow to "now"; a finished one has a fixed window.
  const now = trace.terminal ? 0 : Date.now();
  const { t0, total } = useMemo(() => timeWindow(trace.spans, now || Date.now()), [trace.spans, now]);
  const selected = useMemo(() => trace.spans.find((s) => s.id === selectedId) ?? null, [trace.spans, selectedId]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });

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
      <CardHeader title="Trace" description={`Trace id ${trace.traceId}${trace.terminal ? "" : " · updates live while the run executes"}`} />
      <div className="grid grid-cols-2 gap-x-6 gap-y-3 border-b border-slate-100 px-5 py-3 text-sm sm:grid-cols-4 xl:grid-cols-8 dark:border-slate-800" data-testid="trace-summary">
        <Summary label="Duration" value={s.durationMs === null ? "—" : formatDuration(s.durationMs)} />
        <Summary label="Spans" value={s.spans.toLocaleString("en-US")} />
        <Summary label="LLM calls" value={s.llmCalls} />
        <Summary label="Tokens in / out" value={`${s.inputTokens.toLocaleString("en-US")} / ${s.outputTokens.toLocaleString("en-US")}`} />
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
        <select aria-label="Span kind" value={kind} onChange={(e) => setKind(e.target.value as TreeFilter["kind"])} className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900">
          <option value="all">All kinds</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>{k}</option>
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
            <span className="flex justify-between"><span>0</span><span>{formatDuration(total)}</span></span>
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
                      <Icon className={cn("h-3.5 w-3.5 shrink-0", sp.status === "error" ? "text-rose-500" : "text-slate-500")} />
                      <span className={cn("truncate", row.match && "font-semibold text-brand-700 dark:text-brand-100")} title={sp.name}>{sp.name}</span>
                      {sp.status === "error" ? <AlertTriangle className="h-3 w-3 shrink-0 text-rose-500" aria-label="error" /> : null}
                    </div>
                    <div className="relative h-3 min-w-0">
                      <div
                        className={cn("absolute top-0 h-3 rounded-sm", sp.status === "error" ? "bg-rose-500" : KIND_BAR[sp.kind], sp.endMs === null && "animate-pulse")}
                        style={{ left: `${Math.min(left, 99.6)}%`, width: `${Math.min(width, 100 - Math.min(left, 99.6))}%` }}
                        title={`${formatDuration(end - sp.startMs)} at +${formatDuration(sp.startMs - t0)}`}
                      />
                    </div>
                  </div>
                );
              })}
            </div>
            {rows.length === 0 ? <p className="px-5 py-8 text-center text-sm text-slate-500">No span matches.</p> : null}
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

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-1">
      <h3 className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      {children}
    </section>
  );
}

type Message = { role: string; content: string };

/** The prompt as a list of messages, whichever shape the call used (system + prompt, or chat messages). */
function promptMessages(request: unknown): Message[] | null {
  if (!request || typeof request !== "object") return null;
  const r = request as Record<string, unknown>;
  const out: Message[] = [];
  const text = (c: unknown): string => (typeof c === "string" ? c : Array.isArray(c) ? c.map((p) => (typeof p === "string" ? p : p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : "[media]")).join("\n") : JSON.stringify(c));
  if (typeof r.system === "string") out.push({ role: "system", content: r.system });
  if (Array.isArray(r.messages)) for (const m of r.messages) if (m && typeof m === "object") out.push({ role: String((m as Record<string, unknown>).role ?? "message"), content: text((m as Record<string, unknown>).content) });
  if (typeof r.prompt === "string") out.push({ role: "user", content: r.prompt });
  return out.length ? out : null;
}

function SpanDetail({ span, t0, now }: { span: TraceSpan | null; t0: number; now: number }) {
  if (!span) return <div className="px-5 py-8 text-sm text-slate-500" data-testid="span-detail">Select a span to see its inputs, outputs and attributes.</div>;
  const end = span.endMs ?? now;
  const messages = span.llm ? promptMessages(span.llm.request) : null;
  return (
    <div className="max-h-[36rem] min-w-0 space-y-4 overflow-auto px-5 py-4" data-testid="span-detail">
      <div>
        <div className="flex flex-wrap items-center gap-2">
          <h2 className="break-all font-medium">{span.name}</h2>
          <Badge tone="slate">{span.kind}</Badge>
          <Badge tone={STATUS_TONE[span.status]}>{span.status}</Badge>
          {span.llm?.simulated ? <Badge tone="amber">simulated</Badge> : null}
        </div>
        <p className="mt-1 text-xs tabular-nums text-slate-500">
          {formatDuration(end - span.startMs)}
          {span.endMs === null ? " so far" : ""} · starts at +{formatDuration(span.startMs - t0)} · <span className="font-mono">{span.id}</span>
        </p>
      </div>
      {span.llm ? (
        <Section title="LLM call">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm" data-testid="llm-facts">
            <dt className="text-slate-500">Model</dt>
            <dd className="font-mono text-xs">{span.llm.model}</dd>
            <dt className="text-slate-500">Input tokens</dt>
            <dd className="tabular-nums">{span.llm.inputTokens.toLocaleString("en-US")}</dd>
            <dt className="text-slate-500">Output tokens</dt>
            <dd className="tabular-nums">{span.llm.outputTokens.toLocaleString("en-US")}</dd>
            {span.llm.cachedInputTokens ? (
              <>
                <dt className="text-slate-500">Cached input</dt>
                <dd className="tabular-nums">{span.llm.cachedInputTokens.toLocaleString("en-US")}</dd>
              </>
            ) : null}
            <dt className="text-slate-500">Cost</dt>
            <dd className="tabular-nums" data-testid="llm-cost">{span.llm.costNano === null ? "unpriced" : usd(BigInt(span.llm.costNano))}</dd>
          </dl>
        </Section>
      ) : null}
      {span.llm ? (
        <Section title="Prompt">
          {messages ? (
            <ol className="space-y-2" data-testid="llm-prompt">
              {messages.map((m, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a prompt's messages in their recorded order; they have no id.
                <li key={i} className="rounded-md border border-slate-200 px-3 py-2 text-sm dark:border-slate-800">
                  <div className="text-xs font-medium uppercase text-slate-500">{m.role}</div>
                  <p className="mt-1 whitespace-pre-wrap break-words">{m.content}</p>
                </li>
              ))}
            </ol>
          ) : (
            <p className="text-sm text-slate-500">Not captured for this call.</p>
          )}
        </Section>
      ) : null}
      {span.llm && span.llm.response !== null ? (
        <Section title="Response">
          <JsonView value={span.llm.response} />
        </Section>
      ) : null}
      {span.error ? (
        <Section title="Error">
          <div className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-200">
            <div className="font-medium">{span.error.name}: {span.error.message}</div>
            {span.error.stack ? <pre className="mt-2 max-h-60 overflow-auto whitespace-pre-wrap font-mono text-xs">{span.error.stack}</pre> : null}
          </div>
        </Section>
      ) : null}
      {span.input !== undefined && span.input !== null && !span.llm ? (
        <Section title="Input">
          <JsonView value={span.input} />
        </Section>
      ) : null}
      {span.output !== undefined && span.output !== null && !span.llm ? (
        <Section title="Output">
          <JsonView value={span.output} />
        </Section>
      ) : null}
      <Section title="Attributes">
        <table className="w-full text-xs">
          <tbody>
            {Object.entries(span.attributes).map(([k, v]) => (
              <tr key={k} className="border-t border-slate-100 align-top dark:border-slate-800">
                <td className="py-1 pr-2 font-mono text-slate-500">{k}</td>
                <td className="break-all py-1 font-mono">{v === null ? "—" : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
