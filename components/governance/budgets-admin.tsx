"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";
import { BudgetForm, type EditableBudget } from "./budget-form";
import { isConflict } from "./errors";
import { SpendBar } from "./spend-bar";

const scopeLabel = (b: { scope: string; scopeValue: string }) =>
  b.scope === "global" ? "Global" : `${b.scope.replace("_", " ")}: ${b.scopeValue}`;
const periodLabel = (p: string) => (p === "run" ? "per run" : p === "lifetime" ? "lifetime" : `per ${p}`);

/** The budgets list with spend against each limit in its current window; admins create, edit and delete. */
export function BudgetsAdmin({
  canManage,
  workflows,
}: {
  canManage: boolean;
  workflows: { id: string; name: string }[];
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // Spend moves while runs execute.
  const { data } = useSuspenseQuery({ ...trpc.governance.budgets.list.queryOptions(), refetchInterval: 5_000 });
  const [editing, setEditing] = useState<EditableBudget | "new" | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const remove = useMutation(
    trpc.governance.budgets.delete.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.governance.budgets.list.queryKey() }),
      onError: (e) => setRowError(isConflict(e) ? `Not deleted: ${errorMessage(e)}` : errorMessage(e)),
    }),
  );

  return (
    <div className={canManage && editing !== null ? "grid gap-6 xl:grid-cols-[1fr_24rem]" : "grid gap-6"}>
      <Card className="self-start">
        <CardHeader
          title={`${data.budgets.length} budget${data.budgets.length === 1 ? "" : "s"}`}
          description={`Spend in each budget's current window. Calendar periods follow ${data.timeZone} (WFLO_BUDGET_TIMEZONE); weeks start Monday.`}
          action={canManage && editing === null ? <Button onClick={() => setEditing("new")}>New budget</Button> : null}
        />
        {rowError ? (
          <div
            role="alert"
            className="border-b border-rose-200 bg-rose-50 px-5 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
          >
            {rowError}
          </div>
        ) : null}
        <Table>
          <thead>
            <tr>
              <Th>Budget</Th>
              <Th>Period</Th>
              <Th className="w-72">Spend</Th>
              <Th>Alerts</Th>
              {canManage ? <Th className="text-right">Actions</Th> : null}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {data.budgets.length === 0 ? (
              <EmptyRow colSpan={canManage ? 5 : 4}>
                No budgets yet.{canManage ? " Create one to hold LLM calls to a limit before money is spent." : ""}
              </EmptyRow>
            ) : null}
            {data.budgets.map((b) => (
              <Tr key={b.id} data-testid={`budget-row-${b.name}`}>
                <Td>
                  <div className="font-medium">
                    {b.name} {b.enabled ? null : <Badge>disabled</Badge>}
                  </div>
                  <div className="text-xs text-slate-500">{scopeLabel(b)}</div>
                </Td>
                <Td className="whitespace-nowrap">{periodLabel(b.period)}</Td>
                <Td>
                  {b.current ? (
                    <SpendBar
                      label={`Spend of ${b.name}`}
                      spent={b.current.spentNano}
                      reserved={b.current.reservedNano}
                      limit={b.limitNano}
                    />
                  ) : (
                    <span className="text-xs text-slate-500">
                      Limit ${b.limitUsd} for each run (see a run&apos;s cost panel)
                    </span>
                  )}
                </Td>
                <Td className="whitespace-nowrap text-xs text-slate-500">
                  {b.alertThresholds.map((t) => `${t}%`).join(" · ") || "none"}
                </Td>
                {canManage ? (
                  <Td className="whitespace-nowrap text-right">
                    <Button variant="ghost" onClick={() => setEditing({ ...b })}>
                      Edit
                    </Button>
                    <Button
                      variant="ghost"
                      className="text-rose-600"
                      disabled={remove.isPending}
                      onClick={() => {
                        setRowError(null);
                        if (window.confirm(`Delete the budget "${b.name}"? Calls will no longer be held to it.`))
                          remove.mutate({ id: b.id, expectedVersion: b.version });
                      }}
                    >
                      Delete
                    </Button>
                  </Td>
                ) : null}
              </Tr>
            ))}
          </tbody>
        </Table>
      </Card>
      {canManage && editing !== null ? (
        <Card className="self-start">
          <CardHeader
            title={editing === "new" ? "New budget" : `Edit ${editing.name}`}
            description="A call that could push spend past the limit is refused before it is made; its run stops."
          />
          <div className="px-5 py-4">
            <BudgetForm
              key={editing === "new" ? "new" : `${editing.id}-${editing.version}`}
              budget={editing === "new" ? undefined : editing}
              workflows={workflows}
              timeZone={data.timeZone}
              onDone={() => setEditing(null)}
            />
          </div>
        </Card>
      ) : null}
    </div>
  );
}
