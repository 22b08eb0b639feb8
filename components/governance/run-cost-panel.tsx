"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { usd, usdOfString } from "./money";
import { SpendBar } from "./spend-bar";

type Line = { calls: number; costNano: bigint; inputTokens: bigint; outputTokens: bigint };

function Lines<T extends Line>({ title, rows, name }: { title: string; rows: T[]; name: (r: T) => React.ReactNode }) {
  if (!rows.length) return null;
  return (
    <div>
      <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      {/* Fixed layout: long names (nested step ids) wrap inside their column instead of squeezing the figures. */}
      <table className="w-full table-fixed text-sm">
        <tbody>
          {rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a read-only list in a fixed order; rows have no id of their own.
            <tr key={i} className="border-t border-slate-100 dark:border-slate-800">
              <td className="break-all py-1 pr-2">{name(r)}</td>
              <td className="w-32 whitespace-nowrap py-1 pr-2 text-right text-xs tabular-nums text-slate-500">
                {r.calls} call{r.calls === 1 ? "" : "s"} · {(r.inputTokens + r.outputTokens).toLocaleString()} tok
              </td>
              <td className="w-24 whitespace-nowrap py-1 text-right tabular-nums">{usd(r.costNano)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const periodText = (p: unknown) => (p === "lifetime" ? "lifetime" : p === "run" ? "per run" : `per ${String(p)}`);

/** Why governance stopped the run: the budget (scope, spent, limit) or the guard that tripped. */
function StopReason({
  stop,
}: {
  stop: { kind: string; title: string; message: string; details: Record<string, unknown> };
}) {
  const d = stop.details;
  const budget = stop.kind === "budget_exceeded";
  return (
    <div
      role="alert"
      data-testid="run-stop-reason"
      className="rounded-md border border-rose-300 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-200"
    >
      <div className="font-semibold">
        {budget ? "Stopped by budget" : "Stopped by a runaway guard"}:{" "}
        {stop.title.replace(/^Run stopped( by a guard)?: /, "")}
      </div>
      {budget ? (
        <dl className="mt-2 grid grid-cols-2 gap-x-6 gap-y-1 sm:grid-cols-4">
          <div>
            <dt className="text-xs opacity-75">Scope</dt>
            <dd>
              {d.scope === "run"
                ? "this run's budget"
                : d.scope === "global"
                  ? "global"
                  : `${String(d.scope)}: ${String(d.scopeValue)}`}{" "}
              ({periodText(d.period)})
            </dd>
          </div>
          <div>
            <dt className="text-xs opacity-75">Spent</dt>
            <dd className="tabular-nums">
              {usdOfString(d.spentNano)}
              {d.reservedNano !== "0" ? ` + ${usdOfString(d.reservedNano)} held by calls in flight` : ""}
            </dd>
          </div>
          <div>
            <dt className="text-xs opacity-75">Limit</dt>
            <dd className="tabular-nums">{usdOfString(d.limitNano)}</dd>
          </div>
          <div>
            <dt className="text-xs opacity-75">Next call needed up to</dt>
            <dd className="tabular-nums">{usdOfString(d.requestedNano)}</dd>
          </div>
        </dl>
      ) : (
        <p className="mt-1">{stop.message}</p>
      )}
      <p className="mt-2 text-xs opacity-75">
        The call was refused before it was made, and the run was stopped without retries.{" "}
        {budget ? (
          <Link href="/budgets" className="underline">
            Budgets
          </Link>
        ) : (
          <Link href="/budgets" className="underline">
            Guards
          </Link>
        )}
      </p>
    </div>
  );
}

/** What the run's LLM calls cost, against its budget, by model, step and agent; live while the run is active. */
export function RunCostPanel({ runId, live }: { runId: string; live: boolean }) {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.governance.costBreakdown.queryOptions({ runId }),
    refetchInterval: live ? 2_000 : false,
  });
  const { refetch } = q;
  // One last read when the run ends, so the final spend and any stop reason show.
  useEffect(() => {
    if (!live) void refetch();
  }, [live, refetch]);
  if (q.error) return null;
  const b = q.data;
  if (!b) return null;
  if (b.calls === 0 && !b.stop && b.budgetNano === null) return null;
  return (
    <Card data-testid="run-cost-panel">
      <CardHeader
        title="Cost"
        description={
          b.calls
            ? `${b.calls} LLM call${b.calls === 1 ? "" : "s"}${b.failedCalls ? `, ${b.failedCalls} failed` : ""}`
            : "No LLM calls yet"
        }
        action={
          b.simulatedCalls ? (
            <Badge tone="violet">
              {b.simulatedCalls === b.calls ? "simulated calls" : `${b.simulatedCalls} simulated`}
            </Badge>
          ) : undefined
        }
      />
      <div className="space-y-4 px-5 py-4">
        {b.stop ? <StopReason stop={b.stop} /> : null}
        <div className="grid grid-cols-2 gap-4 text-sm sm:grid-cols-4">
          <div>
            <div className="text-xs text-slate-500">Total</div>
            <div className="text-lg font-semibold tabular-nums" data-testid="run-cost-total">
              {usd(b.totalNano)}
            </div>
          </div>
          <div>
            <div className="text-xs text-slate-500">Run budget</div>
            <div className="text-lg tabular-nums">{b.budgetNano === null ? "—" : usd(b.budgetNano)}</div>
          </div>
          <div>
            <div className="text-xs text-slate-500">Remaining</div>
            <div className="text-lg tabular-nums">{b.remainingNano === null ? "—" : usd(b.remainingNano)}</div>
          </div>
          <div>
            <div className="text-xs text-slate-500">Held by calls in flight</div>
            <div className="text-lg tabular-nums">{usd(b.reservedNano)}</div>
          </div>
        </div>
        {b.budgetNano !== null ? (
          <SpendBar
            label="Spend of this run against its budget"
            spent={b.totalNano}
            reserved={b.reservedNano}
            limit={b.budgetNano}
          />
        ) : null}
        {b.exceeded ? <Badge tone="red">over budget</Badge> : null}
        <div className="grid gap-4 lg:grid-cols-3">
          <Lines
            title="By model"
            rows={b.byModel}
            name={(r) => (
              <span className="font-mono text-xs">
                {r.provider}/{r.model}
              </span>
            )}
          />
          <Lines title="By step" rows={b.byStep} name={(r) => <span className="font-mono text-xs">{r.stepId}</span>} />
          <Lines
            title="By agent"
            rows={b.byAgent}
            name={(r) => r.agent ?? <span className="text-slate-400">no agent</span>}
          />
        </div>
      </div>
    </Card>
  );
}
