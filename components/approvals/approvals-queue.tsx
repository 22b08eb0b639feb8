"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { useNow } from "@/components/runs/time";
import { Card } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";
import { Select } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";
import { APPROVAL_STATUSES, RISK_LEVELS, type ApprovalStatus, type RiskLevel } from "@/db/schema/approvals";
import { ApprovalStatusBadge, RiskBadge, shortDuration, timeLeft } from "./format";

export type QueueFilters = {
  view: "pending" | "history";
  status?: ApprovalStatus;
  risk?: RiskLevel;
  workflowId?: string;
};

/** The URL is the state: filters survive reloads and links. */
export function filtersFrom(params: { get(name: string): string | null }): QueueFilters {
  const view = params.get("view") === "history" ? "history" : "pending";
  const status = APPROVAL_STATUSES.find((s) => s === params.get("status"));
  const risk = RISK_LEVELS.find((r) => r === params.get("risk"));
  const workflowId = params.get("workflow") || undefined;
  return { view, ...(status && { status }), ...(risk && { risk }), ...(workflowId && { workflowId }) };
}

export function ApprovalsQueue() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const f = filtersFrom(params);
  const input = {
    view: f.view,
    status: f.view === "history" ? f.status : undefined,
    risk: f.risk,
    workflowId: f.workflowId,
    limit: 100,
  };
  // Polled: new requests appear and decided ones leave without a reload.
  const { data, error, isLoading } = useQuery({ ...trpc.approvals.list.queryOptions(input), refetchInterval: 3_000 });
  const now = useNow(true);
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(params.toString());
    if (v) next.set(k, v);
    else next.delete(k);
    if (k === "view") next.delete("status");
    router.replace(`/approvals?${next.toString()}`);
  };
  const rows = data ?? [];

  return (
    <Card>
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 px-5 py-3 dark:border-slate-800">
        <div
          role="tablist"
          aria-label="Approvals view"
          className="flex gap-1 rounded-md bg-slate-100 p-1 dark:bg-slate-800"
        >
          {(["pending", "history"] as const).map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={f.view === v}
              onClick={() => set("view", v === "pending" ? undefined : v)}
              className={cn(
                "rounded px-3 py-1 text-sm font-medium",
                f.view === v
                  ? "bg-white shadow-sm dark:bg-slate-900"
                  : "text-slate-500 hover:text-slate-800 dark:hover:text-slate-200",
              )}
            >
              {v === "pending" ? "Pending" : "History"}
            </button>
          ))}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {f.view === "history" ? (
            <div className="w-40">
              <Select
                aria-label="Status"
                value={f.status ?? ""}
                onChange={(e) => set("status", e.target.value || undefined)}
              >
                <option value="">Any outcome</option>
                {APPROVAL_STATUSES.filter((s) => s !== "pending").map((s) => (
                  <option key={s} value={s}>
                    {s.replace("_", "-")}
                  </option>
                ))}
              </Select>
            </div>
          ) : null}
          <div className="w-36">
            <Select aria-label="Risk" value={f.risk ?? ""} onChange={(e) => set("risk", e.target.value || undefined)}>
              <option value="">Any risk</option>
              {RISK_LEVELS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          </div>
        </div>
      </div>
      {error ? (
        <div role="alert" className="px-5 py-3 text-sm text-rose-600">
          {errorMessage(error)}
        </div>
      ) : null}
      <Table>
        <thead>
          <tr>
            <Th>Request</Th>
            <Th>Risk</Th>
            <Th>Workflow · run</Th>
            <Th>Requested by</Th>
            <Th>Age</Th>
            <Th>{f.view === "pending" ? "Time left" : "Outcome"}</Th>
            <Th>Approvals</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {rows.map((a) => {
            const left = timeLeft(a.deadlineAt, now);
            return (
              <Tr key={a.id} data-testid={`approval-row-${a.gate}`}>
                <Td className="max-w-[17rem]">
                  <Link
                    href={`/approvals/${a.id}`}
                    className="font-medium text-slate-900 hover:text-brand-600 hover:underline dark:text-slate-100"
                  >
                    {a.action}
                  </Link>
                  <div className="truncate text-xs text-slate-500">
                    <span className="font-mono">{a.gate}</span>
                    {a.summary ? ` · ${a.summary}` : ""}
                  </div>
                </Td>
                <Td>
                  <RiskBadge risk={a.risk} />
                </Td>
                <Td>
                  <div className="whitespace-nowrap text-sm">{a.workflowId}</div>
                  {a.runId ? (
                    <Link href={`/runs/${a.runId}`} className="font-mono text-xs text-brand-600 hover:underline">
                      {a.runId.slice(0, 12)}…
                    </Link>
                  ) : (
                    <span className="text-xs text-slate-500">external request</span>
                  )}
                </Td>
                <Td className="text-slate-600 dark:text-slate-300">{a.requestedByEmail ?? "—"}</Td>
                <Td className="tabular-nums text-slate-500">
                  {now === null ? "" : shortDuration(now - a.createdAt.getTime())}
                </Td>
                <Td>
                  {f.view === "pending" ? (
                    <span
                      className={cn(
                        "tabular-nums",
                        left.urgent ? "font-medium text-rose-600" : "text-slate-600 dark:text-slate-300",
                      )}
                    >
                      {left.text}
                      {a.escalatedAt ? <span className="ml-2 text-xs text-amber-600">escalated</span> : null}
                    </span>
                  ) : (
                    <div>
                      <ApprovalStatusBadge status={a.status} />
                      <div className="mt-0.5 text-xs text-slate-500">
                        {a.decidedByEmail === "policy" ? "" : (a.decidedByEmail ?? "")}
                      </div>
                    </div>
                  )}
                </Td>
                <Td className="tabular-nums text-slate-600 dark:text-slate-300">
                  {a.status === "auto_approved" || a.status === "denied" ? (
                    <span className="text-xs text-slate-500">by policy</span>
                  ) : (
                    <>
                      {a.approvalsCount}/{a.approvalsNeeded}
                      <div className="whitespace-nowrap text-xs text-slate-500">{a.deciderRole}+</div>
                    </>
                  )}
                </Td>
              </Tr>
            );
          })}
          {!isLoading && rows.length === 0 ? (
            <EmptyRow colSpan={7}>
              {f.view === "pending"
                ? "Nothing is waiting for a decision. New requests appear here as runs reach their gates."
                : "No decided approvals match these filters."}
            </EmptyRow>
          ) : null}
        </tbody>
      </Table>
    </Card>
  );
}
