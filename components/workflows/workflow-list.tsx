"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LocalTime } from "@/components/runs/time";
import { SimulatedBadge } from "@/components/runs/status-badge";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";

const linkButton =
  "inline-flex items-center justify-center gap-2 rounded-md px-3 py-1.5 text-sm font-medium transition-colors focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500";

export function WorkflowList({ canTrigger }: { canTrigger: boolean }) {
  const trpc = useTRPC();
  const { data: workflows } = useSuspenseQuery(trpc.workflows.list.queryOptions());
  if (workflows.length === 0)
    return <EmptyState title="No workflows registered">Workflows served at /api/inngest appear here.</EmptyState>;

  return (
    <div className="grid gap-4 lg:grid-cols-2 2xl:grid-cols-3">
      {workflows.map((w) => (
        <Card key={w.id} className="flex flex-col" data-testid={`workflow-${w.id}`}>
          <div className="flex-1 px-5 py-4">
            <div className="flex flex-wrap items-center gap-2">
              <Link href={`/workflows/${w.id}`} className="text-base font-semibold hover:underline">
                {w.name}
              </Link>
              {w.usesLlm ? <Badge tone="blue">LLM</Badge> : null}
              {w.simulatedLlm ? <SimulatedBadge /> : null}
            </div>
            <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">{w.description}</p>
            <dl className="mt-4 grid grid-cols-3 gap-3 text-sm">
              <div>
                <dt className="text-xs uppercase tracking-wide text-slate-500">Runs</dt>
                <dd className="mt-0.5 tabular-nums">{w.stats.total}</dd>
              </div>
              <div>
                <dt className="text-xs uppercase tracking-wide text-slate-500">Active</dt>
                <dd className="mt-0.5 tabular-nums">{w.stats.active}</dd>
              </div>
              <div>
                <dt className="text-xs uppercase tracking-wide text-slate-500">Failed</dt>
                <dd className="mt-0.5 tabular-nums">{w.stats.failed}</dd>
              </div>
            </dl>
          </div>
          <div className="flex items-center justify-between gap-3 border-t border-slate-200 px-5 py-3 dark:border-slate-800">
            <div className="min-w-0 text-xs text-slate-500">
              <span className="font-mono">{w.triggers.map((t) => t.event).join(", ")}</span>
              {w.stats.lastStartedAt ? (
                <span>
                  {" "}
                  · last run <LocalTime date={w.stats.lastStartedAt} />
                </span>
              ) : null}
            </div>
            <div className="flex shrink-0 gap-2">
              <Link
                href={`/runs?workflow=${w.id}`}
                className={`${linkButton} text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800`}
              >
                Runs
              </Link>
              {canTrigger ? (
                <Link
                  href={`/workflows/${w.id}`}
                  className={`${linkButton} bg-brand-600 text-white hover:bg-brand-700`}
                >
                  Run
                </Link>
              ) : null}
            </div>
          </div>
        </Card>
      ))}
    </div>
  );
}
