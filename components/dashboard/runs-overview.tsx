"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { RunStatus } from "@/db/schema/runs";
import { useTRPC } from "@/components/trpc/client";
import { Card, CardHeader, Stat } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { RANGES, type RangeKey } from "@/server/dashboard/schemas";

const SERIES: { status: RunStatus; color: string }[] = [
  { status: "completed", color: "#10b981" },
  { status: "failed", color: "#f43f5e" },
  { status: "running", color: "#4f6ef7" },
  { status: "sleeping", color: "#8b5cf6" },
  { status: "waiting", color: "#f59e0b" },
  { status: "queued", color: "#94a3b8" },
  { status: "cancelled", color: "#64748b" },
];

function ms(v: number | null): string {
  if (v === null) return "—";
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
}

function runsLink(params: Record<string, string>) {
  return `/runs?${new URLSearchParams(params).toString()}`;
}

/** Runs by status over time with latency and error rate; refreshes every few seconds so it moves while runs execute. */
export function RunsOverview() {
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const range = (params.get("range") ?? "24h") as RangeKey;
  const valid = range in RANGES ? range : "24h";
  const { data } = useQuery({ ...trpc.dashboard.overview.queryOptions({ range: valid }), refetchInterval: 3000 });
  const bucketMs = RANGES[valid].bucketMs;
  const fmt = (d: Date) =>
    bucketMs >= 86_400_000
      ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" })
      : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  const rows = (data?.buckets ?? []).map((b) => ({
    ...b,
    label: fmt(new Date(b.start)),
    t: new Date(b.start).getTime(),
  }));
  const window = data ? { from: new Date(data.from).toISOString(), to: new Date(data.to).toISOString() } : null;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-1" role="group" aria-label="Time range">
        {(Object.keys(RANGES) as RangeKey[]).map((k) => (
          <button
            key={k}
            type="button"
            onClick={() => router.replace(`${pathname}?range=${k}`)}
            aria-pressed={k === valid}
            className={cn(
              "rounded-md px-3 py-1 text-sm font-medium",
              k === valid
                ? "bg-brand-600 text-white"
                : "text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800",
            )}
          >
            {RANGES[k].label}
          </button>
        ))}
      </div>
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <Link href={window ? runsLink(window) : "/runs"}>
          <Stat
            label="Runs"
            value={
              <span data-testid="stat-runs">{data ? Object.values(data.totals).reduce((a, b) => a + b, 0) : "…"}</span>
            }
            hint={`${data?.active ?? 0} active now`}
          />
        </Link>
        <Link href={window ? runsLink({ ...window, status: "failed" }) : "/runs"}>
          <Stat
            label="Error rate"
            value={data?.errorRate == null ? "—" : `${(data.errorRate * 100).toFixed(1)} %`}
            hint={`${data?.totals.failed ?? 0} failed`}
          />
        </Link>
        <Stat
          label="Run latency"
          value={ms(data?.runLatencyMs.p50 ?? null)}
          hint={`p50 · p95 ${ms(data?.runLatencyMs.p95 ?? null)}`}
        />
        <Stat
          label="Step latency"
          value={ms(data?.stepLatencyMs.p50 ?? null)}
          hint={`p50 · p95 ${ms(data?.stepLatencyMs.p95 ?? null)}`}
        />
      </div>
      <Card>
        <CardHeader title="Runs by status" description="Click a bar to see the runs behind it." />
        <div className="h-72 px-2 py-4" data-testid="runs-chart">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} margin={{ left: 0, right: 16 }}>
              <CartesianGrid
                strokeDasharray="3 3"
                stroke="currentColor"
                className="text-slate-200 dark:text-slate-800"
                vertical={false}
              />
              <XAxis
                dataKey="label"
                tick={{ fontSize: 12, fill: "#94a3b8" }}
                tickLine={false}
                axisLine={false}
                minTickGap={24}
              />
              <YAxis
                allowDecimals={false}
                tick={{ fontSize: 12, fill: "#94a3b8" }}
                tickLine={false}
                axisLine={false}
                width={36}
              />
              <Tooltip cursor={{ fill: "rgba(148,163,184,0.15)" }} contentStyle={{ fontSize: 12, borderRadius: 6 }} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {SERIES.map((s) => (
                <Bar
                  key={s.status}
                  dataKey={s.status}
                  stackId="runs"
                  fill={s.color}
                  cursor="pointer"
                  onClick={(d: { payload?: { t: number } }) => {
                    const t = d.payload?.t;
                    if (t === undefined) return;
                    router.push(
                      runsLink({
                        status: s.status,
                        from: new Date(t).toISOString(),
                        to: new Date(t + bucketMs).toISOString(),
                      }),
                    );
                  }}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      </Card>
    </div>
  );
}
