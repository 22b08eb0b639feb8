import Link from "next/link";
import { Card } from "@/components/ui/card";
import type { ApprovalView } from "./approval-types";
import { ApprovalStatusBadge, RiskBadge } from "./format";

/** The head of an approval's page: risk, status, what will happen, its workflow and run, gate, requester, tool, amount. */
export function ApprovalSummary({ a }: { a: ApprovalView }) {
  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-4 border-b border-slate-200 px-5 py-4 dark:border-slate-800">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <RiskBadge risk={a.risk} />
            <ApprovalStatusBadge status={a.status} />
            {a.escalatedAt ? <span className="text-xs font-medium text-amber-600">escalated</span> : null}
          </div>
          <h2 className="mt-2 text-lg font-semibold tracking-tight" data-testid="approval-action">
            {a.action}
          </h2>
          {a.summary ? <p className="mt-1 text-sm text-slate-600 dark:text-slate-300">{a.summary}</p> : null}
        </div>
        <div className="text-right text-sm">
          <div className="text-slate-500">Workflow</div>
          <div className="font-medium">{a.workflowId}</div>
          {a.runId ? (
            <Link href={`/runs/${a.runId}`} className="font-mono text-xs text-brand-600 hover:underline">
              Open run {a.runId.slice(0, 10)}… →
            </Link>
          ) : (
            <div
              className="text-xs text-slate-500"
              title="Requested over the REST API by an agent outside wflo; it polls for this decision"
            >
              external request
            </div>
          )}
        </div>
      </div>
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-xs text-slate-500">Gate</dt>
          <dd className="font-mono">{a.gate}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Requested by</dt>
          <dd>{a.requestedByEmail ?? "—"}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Tool</dt>
          <dd className="font-mono">{a.tool ?? "—"}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-500">Amount</dt>
          <dd className="tabular-nums">{a.amountUsd ? `$${Number(a.amountUsd).toLocaleString("en-US")}` : "—"}</dd>
        </div>
      </dl>
    </Card>
  );
}
