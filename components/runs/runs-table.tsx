"use client";

import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, Select } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";
import { RUN_STATUSES } from "@/db/schema/runs";
import { effectiveFilters, toQueryInput, type RunFilters } from "./filters";
import { elapsed, isActive } from "./format";
import { LocalTime, useNow } from "./time";
import { StatusBadge } from "./status-badge";
import { TriggeredBy } from "./triggered-by";

export function RunsTable({
  workflows,
  fixedWorkflowId,
  showFilters = true,
}: {
  workflows: { id: string; name: string }[];
  fixedWorkflowId?: string;
  showFilters?: boolean;
}) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const filters = effectiveFilters(params, fixedWorkflowId);
  const list = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(toQueryInput(filters), {
      getNextPageParam: (p) => p.nextCursor,
      placeholderData: keepPreviousData,
      // Live runs change under the viewer's eyes (3 s); a quiet list still picks up runs started
      // elsewhere (the CLI, the API, an outside event key) without a reload (15 s).
      refetchInterval: (q) =>
        q.state.data?.pages.some((p) => p.items.some((r) => isActive(r.status))) ? 3000 : 15_000,
    }),
  );
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const now = useNow(rows.some((r) => isActive(r.status)));
  const cols = fixedWorkflowId ? 5 : 6;

  return (
    <Card>
      {showFilters ? (
        <FilterBar filters={filters} workflows={workflows} hideWorkflow={Boolean(fixedWorkflowId)} />
      ) : null}
      {list.error ? (
        <div
          role="alert"
          className="border-b border-rose-200 bg-rose-50 px-5 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
        >
          {errorMessage(list.error)}
        </div>
      ) : null}
      <Table>
        <thead>
          <tr>
            <Th>Run</Th>
            {fixedWorkflowId ? null : <Th>Workflow</Th>}
            <Th>Status</Th>
            <Th>Triggered by</Th>
            <Th>Started</Th>
            <Th className="text-right">Duration</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {list.isLoading ? <EmptyRow colSpan={cols}>Loading runs…</EmptyRow> : null}
          {!list.isLoading && rows.length === 0 ? (
            <EmptyRow colSpan={cols}>
              {Object.values(filters).some(Boolean) && !fixedWorkflowId
                ? "No runs match these filters."
                : "No runs yet. Trigger a workflow and it shows up here."}
            </EmptyRow>
          ) : null}
          {rows.map((r) => (
            <Tr key={r.id} data-testid={`run-row-${r.id}`}>
              <Td>
                <Link
                  href={`/runs/${r.id}`}
                  className="font-mono text-xs font-medium text-brand-600 hover:underline dark:text-brand-100"
                >
                  {r.id.slice(0, 10)}…{r.id.slice(-4)}
                </Link>
                {r.rerunOf ? <div className="text-xs text-slate-500">re-run</div> : null}
                {r.system ? <div className="text-xs text-slate-500">system</div> : null}
              </Td>
              {fixedWorkflowId ? null : (
                <Td>
                  <div className="font-medium">{r.workflowName}</div>
                  <div className="font-mono text-xs text-slate-500">{r.eventName}</div>
                </Td>
              )}
              <Td>
                <span title={r.errorMessage ?? undefined}>
                  <StatusBadge status={r.status} />
                </span>
                {r.attempts > 1 ? <span className="ml-2 text-xs text-slate-500">{r.attempts} attempts</span> : null}
              </Td>
              <Td className="text-slate-600 dark:text-slate-300">
                <TriggeredBy kind={r.triggeredByKind} label={r.triggeredByLabel} />
              </Td>
              <Td className="whitespace-nowrap text-slate-500">
                <LocalTime date={r.startedAt} />
              </Td>
              <Td className="whitespace-nowrap text-right tabular-nums text-slate-600 dark:text-slate-300">
                {elapsed(r.startedAt, r.endedAt, now)}
              </Td>
            </Tr>
          ))}
        </tbody>
      </Table>
      {list.hasNextPage ? (
        <div className="border-t border-slate-200 px-5 py-3 dark:border-slate-800">
          <Button variant="ghost" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      ) : null}
    </Card>
  );
}

function FilterBar({
  filters,
  workflows,
  hideWorkflow,
}: {
  filters: RunFilters;
  workflows: { id: string; name: string }[];
  hideWorkflow: boolean;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [by, setBy] = useState(filters.triggeredBy ?? "");
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`, { scroll: false });
  };
  // Typing in "triggered by" filters after a short pause, not on every key.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a change of the typed text schedules a new filter.
  useEffect(() => {
    const t = setTimeout(() => {
      if ((filters.triggeredBy ?? "") !== by.trim()) set("by", by.trim() || undefined);
    }, 300);
    return () => clearTimeout(t);
  }, [by]);
  const any = Object.values(filters).some(Boolean);

  return (
    <div className="flex flex-wrap items-end gap-3 border-b border-slate-200 px-5 py-3 dark:border-slate-800">
      {hideWorkflow ? null : (
        <FilterField label="Workflow" htmlFor="f-workflow">
          <Select
            id="f-workflow"
            className="w-48"
            value={filters.workflowId ?? ""}
            onChange={(e) => set("workflow", e.target.value || undefined)}
          >
            <option value="">All workflows</option>
            {workflows.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </Select>
        </FilterField>
      )}
      <FilterField label="Status" htmlFor="f-status">
        <Select
          id="f-status"
          className="w-44"
          value={filters.status ?? ""}
          onChange={(e) => set("status", e.target.value || undefined)}
        >
          <option value="">Any status</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === "waiting" ? "waiting for event" : s}
            </option>
          ))}
        </Select>
      </FilterField>
      <FilterField label="Triggered by" htmlFor="f-by">
        <Input
          id="f-by"
          className="w-52"
          placeholder="email contains…"
          value={by}
          onChange={(e) => setBy(e.target.value)}
        />
      </FilterField>
      <FilterField label="From" htmlFor="f-from">
        <Input
          id="f-from"
          type="date"
          className="w-40"
          value={filters.from ?? ""}
          onChange={(e) => set("from", e.target.value || undefined)}
        />
      </FilterField>
      <FilterField label="To" htmlFor="f-to">
        <Input
          id="f-to"
          type="date"
          className="w-40"
          value={filters.to ?? ""}
          onChange={(e) => set("to", e.target.value || undefined)}
        />
      </FilterField>
      {hideWorkflow ? null : (
        <label className="flex items-center gap-1 pb-2 text-sm text-slate-600 dark:text-slate-300">
          <input
            type="checkbox"
            checked={filters.system ?? false}
            onChange={(e) => set("system", e.target.checked ? "1" : undefined)}
          />{" "}
          Show system runs
        </label>
      )}
      {any ? (
        <Button
          variant="ghost"
          onClick={() => {
            setBy("");
            router.replace(pathname, { scroll: false });
          }}
        >
          Clear filters
        </Button>
      ) : null}
    </div>
  );
}

function FilterField({ label, htmlFor, children }: { label: string; htmlFor: string; children: React.ReactNode }) {
  return (
    <div>
      <label
        htmlFor={htmlFor}
        className="mb-1 block text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400"
      >
        {label}
      </label>
      {children}
    </div>
  );
}
