"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { usd, toNumberUsd } from "@/components/governance/money";
import { SpendBar } from "@/components/governance/spend-bar";
import { useTRPC } from "@/components/trpc/client";
import { Card, CardHeader, Stat } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

const COLORS = ["#4f6ef7", "#10b981", "#f59e0b", "#8b5cf6", "#f43f5e", "#06b6d4", "#64748b"];
const DAY = 86_400_000;

/**
 * What LLM calls cost: today and this month against the global budgets, burn rate, spend over
 * the last 14 days by model or workflow (from the hourly rollup), and the top spenders.
 * Refetches every few seconds so it moves while runs execute.
 */
export function SpendOverview() {
  const trpc = useTRPC();
  const router = useRouter();
  const [groupBy, setGroupBy] = useState<"model" | "workflow">("model");
  const [metric, setMetric] = useState<"cost" | "tokens">("cost");
  const [span] = useState(() => {
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000);
    return { from: new Date(to.getTime() - 14 * DAY), to };
  });
  const { data: s } = useQuery({ ...trpc.governance.spendSummary.queryOptions(), refetchInterval: 3_000 });
  const { data: points } = useQuery({
    ...trpc.governance.costOverTime.queryOptions({
      from: span.from,
      to: span.to,
      bucket: "day",
      groupBy,
      timeZone: s?.timeZone ?? "UTC",
    }),
    refetchInterval: 5_000,
  });
  const { data: tokenPoints } = useQuery({
    ...trpc.tracing.tokensOverTime.queryOptions({
      from: span.from,
      to: span.to,
      groupBy,
      timeZone: s?.timeZone ?? "UTC",
    }),
    refetchInterval: 5_000,
    enabled: metric === "tokens",
  });
  // One row per day of the window (empty days included), series per key; dollars as numbers
  // for the chart only (each value is one exact rollup sum, never added up here).
  const tz = s?.timeZone ?? "UTC";
  const dayLabel = (d: Date) => d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: tz });
  const shown =
    metric === "cost"
      ? (points ?? []).map((p) => ({ bucket: p.bucket, key: p.key, value: toNumberUsd(p.costNano) }))
      : (tokenPoints ?? []).map((p) => ({ bucket: p.bucket, key: p.key, value: p.inputTokens + p.outputTokens }));
  const keys = [...new Set(shown.map((p) => p.key || "(none)"))].slice(0, COLORS.length);
  const rowsByLabel = new Map<string, Record<string, number | string>>();
  for (let i = 13; i >= 0; i--) {
    const at = new Date(span.to.getTime() - 3_600_000 - i * DAY);
    // The day's bounds (a 24 h window around the bar) so a click opens the runs behind it.
    rowsByLabel.set(dayLabel(at), { label: dayLabel(at), dayStart: at.getTime() - 12 * 3_600_000 });
  }
  for (const p of shown) {
    const row = rowsByLabel.get(dayLabel(new Date(p.bucket)));
    if (row) {
      row[p.key || "(none)"] = p.value;
      row.dayStart = new Date(p.bucket).getTime();
    }
  }
  const rows = [...rowsByLabel.values()];
  const hasSpend = shown.length > 0;
  const openRuns = (row: unknown, key: string) => {
    const start =
      row && typeof row === "object" && "dayStart" in row ? Number((row as { dayStart: unknown }).dayStart) : NaN;
    if (!Number.isFinite(start)) return;
    const params = new URLSearchParams({
      from: new Date(start).toISOString(),
      to: new Date(start + DAY).toISOString(),
    });
    if (groupBy === "workflow" && key !== "(none)") params.set("workflowId", key);
    router.push(`/runs?${params.toString()}`);
  };
  const sim = s && s.callsToday > 0 && s.simulatedCallsToday === s.callsToday;

  return (
    <div className="space-y-4" data-testid="spend-overview">
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <Card className="px-5 py-4">
          <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Spend today
          </div>
          <div className="mt-2 text-2xl font-semibold tabular-nums" data-testid="spend-today">
            {s ? usd(s.todayNano) : "…"}
          </div>
          {s?.dayBudgetNano != null ? (
            <div className="mt-2">
              <SpendBar
                label="Spend today against the global daily budget"
                spent={s.todayNano}
                limit={s.dayBudgetNano}
              />
            </div>
          ) : (
            <div className="mt-1 text-xs text-slate-500">
              {s ? `${s.callsToday} calls${sim ? " (simulated)" : ""} · no global daily budget` : ""}
            </div>
          )}
        </Card>
        <Card className="px-5 py-4">
          <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Spend this month
          </div>
          <div className="mt-2 text-2xl font-semibold tabular-nums" data-testid="spend-month">
            {s ? usd(s.monthNano) : "…"}
          </div>
          {s?.monthBudgetNano != null ? (
            <div className="mt-2">
              <SpendBar
                label="Spend this month against the global monthly budget"
                spent={s.monthNano}
                limit={s.monthBudgetNano}
              />
            </div>
          ) : (
            <div className="mt-1 text-xs text-slate-500">
              {s ? `${s.timeZone} calendar · no global monthly budget` : ""}
            </div>
          )}
        </Card>
        <Stat
          label="Burn rate"
          value={s ? `${usd(s.lastHourNano)}/h` : "…"}
          hint={s ? `${usd(s.last24hNano)} over the last 24 h` : undefined}
        />
        <Card className="px-5 py-4 text-sm">
          <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Top this month
          </div>
          <ul className="mt-2 space-y-1" data-testid="top-workflows">
            {(s?.topWorkflows ?? []).slice(0, 3).map((w) => (
              <li key={w.key} className="flex justify-between gap-2">
                <Link
                  href={`/runs?workflowId=${encodeURIComponent(w.key)}`}
                  className="truncate text-brand-600 hover:underline"
                >
                  {w.key || "(no workflow)"}
                </Link>
                <span className="tabular-nums">{usd(w.costNano)}</span>
              </li>
            ))}
            {(s?.topAgents ?? [])
              .filter((a) => a.key)
              .slice(0, 2)
              .map((a) => (
                <li key={`agent-${a.key}`} className="flex justify-between gap-2 text-slate-500">
                  <span className="truncate">agent {a.key}</span>
                  <span className="tabular-nums">{usd(a.costNano)}</span>
                </li>
              ))}
            {s && !s.topWorkflows.length ? <li className="text-slate-500">No LLM spend yet.</li> : null}
          </ul>
        </Card>
      </div>
      <Card>
        <CardHeader
          title={metric === "cost" ? "LLM spend, last 14 days" : "LLM tokens, last 14 days"}
          description={`Per day (${s?.timeZone ?? "UTC"}), from the hourly rollup. Simulated calls are ${metric === "cost" ? "priced and " : ""}included. Click a bar for its runs.`}
          action={
            <div className="flex gap-3">
              <div className="flex gap-1" role="group" aria-label="Chart metric">
                {(["cost", "tokens"] as const).map((m) => (
                  <button
                    key={m}
                    type="button"
                    aria-pressed={metric === m}
                    onClick={() => setMetric(m)}
                    className={cn(
                      "rounded-md px-2.5 py-1 text-xs font-medium",
                      metric === m
                        ? "bg-brand-600 text-white"
                        : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
                    )}
                  >
                    {m}
                  </button>
                ))}
              </div>
              <div className="flex gap-1" role="group" aria-label="Group spend by">
                {(["model", "workflow"] as const).map((g) => (
                  <button
                    key={g}
                    type="button"
                    aria-pressed={groupBy === g}
                    onClick={() => setGroupBy(g)}
                    className={cn(
                      "rounded-md px-2.5 py-1 text-xs font-medium",
                      groupBy === g
                        ? "bg-brand-600 text-white"
                        : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
                    )}
                  >
                    by {g}
                  </button>
                ))}
              </div>
            </div>
          }
        />
        <div className="h-64 px-2 py-4" data-testid="spend-chart">
          {!hasSpend ? (
            <p className="grid h-full place-items-center text-sm text-slate-500">
              {metric === "tokens" && !tokenPoints ? "Loading…" : "No LLM calls in the last 14 days."}
            </p>
          ) : (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={rows} margin={{ left: 8, right: 16 }}>
                <CartesianGrid
                  strokeDasharray="3 3"
                  stroke="currentColor"
                  className="text-slate-200 dark:text-slate-800"
                  vertical={false}
                />
                <XAxis dataKey="label" tick={{ fontSize: 12, fill: "currentColor" }} className="text-slate-500" />
                <YAxis
                  tick={{ fontSize: 12, fill: "currentColor" }}
                  className="text-slate-500"
                  tickFormatter={(v: number) =>
                    metric === "tokens"
                      ? v.toLocaleString("en-US")
                      : v === 0
                        ? "$0"
                        : v < 1
                          ? `$${Number(v.toPrecision(2))}`
                          : `$${v.toFixed(0)}`
                  }
                />
                <Tooltip
                  formatter={(v) =>
                    typeof v === "number"
                      ? metric === "tokens"
                        ? `${v.toLocaleString("en-US")} tokens`
                        : `$${v.toFixed(6)}`
                      : String(v)
                  }
                  contentStyle={{ fontSize: 12 }}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {keys.map((k, i) => (
                  <Bar
                    key={k}
                    dataKey={k}
                    stackId="spend"
                    fill={COLORS[i % COLORS.length]}
                    cursor="pointer"
                    onClick={(d: { payload?: unknown }) => openRuns(d.payload, k)}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          )}
        </div>
      </Card>
    </div>
  );
}
