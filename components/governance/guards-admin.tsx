"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label } from "@/components/ui/form";
import { isConflict } from "./errors";

type GuardValues = {
  maxLlmCallsPerRun: string;
  maxStepsPerRun: string;
  maxIdenticalCalls: string;
  burnWindowMinutes: string;
  burnLimitUsd: string;
};
const FIELDS: { key: keyof GuardValues; label: string; hint: string }[] = [
  { key: "maxLlmCallsPerRun", label: "Max LLM calls per run", hint: "The run stops at the next call." },
  { key: "maxStepsPerRun", label: "Max steps per run", hint: "Checked at each LLM call." },
  {
    key: "maxIdenticalCalls",
    label: "Max identical calls per run",
    hint: "Same model and prompt again: trips the breaker.",
  },
  { key: "burnWindowMinutes", label: "Burn-rate window (minutes)", hint: "With the limit below." },
  { key: "burnLimitUsd", label: "Burn-rate limit (USD)", hint: "Spend in the window above it trips the breaker." },
];

/** Empty -> null (guard off); numbers as numbers; anything else as typed, so the server's message names the rule. */
/** Empty is "off"; text that is not a number goes as NaN (superjson keeps it), which the server refuses with its rule. */
const toNullable = (v: string) => (v.trim() === "" ? null : Number.isFinite(Number(v)) ? Number(v) : Number.NaN);

function GuardEditor({
  workflowId,
  initial,
  version,
  onDone,
}: {
  workflowId: string;
  initial: GuardValues;
  version: number;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [values, setValues] = useState(initial);
  const save = useMutation(
    trpc.governance.guards.set.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.governance.guards.list.queryKey() }).then(onDone),
    }),
  );
  const errors = fieldErrors(save.error);
  return (
    <form
      noValidate
      aria-label={`Guards of ${workflowId}`}
      className="space-y-3 border-t border-slate-100 px-5 py-4 dark:border-slate-800"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({
          workflowId,
          expectedVersion: version,
          maxLlmCallsPerRun: toNullable(values.maxLlmCallsPerRun),
          maxStepsPerRun: toNullable(values.maxStepsPerRun),
          maxIdenticalCalls: toNullable(values.maxIdenticalCalls),
          burnWindowMinutes: toNullable(values.burnWindowMinutes),
          burnLimitUsd: values.burnLimitUsd.trim() === "" ? null : values.burnLimitUsd.trim(),
        });
      }}
    >
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
        {FIELDS.map((f) => (
          <div key={f.key}>
            <Label htmlFor={`guard-${workflowId}-${f.key}`}>{f.label}</Label>
            <Input
              id={`guard-${workflowId}-${f.key}`}
              inputMode="decimal"
              placeholder="off"
              value={values[f.key]}
              aria-invalid={Boolean(errors[f.key]) || undefined}
              onChange={(e) => setValues((v) => ({ ...v, [f.key]: e.target.value }))}
            />
            <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">{f.hint}</p>
            <FieldError message={errors[f.key]} />
          </div>
        ))}
      </div>
      {save.error && (isConflict(save.error) || !Object.keys(errors).some((k) => FIELDS.some((f) => f.key === k))) ? (
        <p role="alert" className="text-sm text-rose-600 dark:text-rose-400">
          {errorMessage(save.error)}
        </p>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save guards"}
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** Runaway guards per workflow, and each workflow's circuit breaker. */
export function GuardsAdmin({ canManage, canReset }: { canManage: boolean; canReset: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data } = useSuspenseQuery({ ...trpc.governance.guards.list.queryOptions(), refetchInterval: 10_000 });
  const [editing, setEditing] = useState<string | null>(null);
  const reset = useMutation(
    trpc.governance.guards.resetBreaker.mutationOptions({
      onSuccess: () => qc.invalidateQueries({ queryKey: trpc.governance.guards.list.queryKey() }),
    }),
  );
  return (
    <Card>
      <CardHeader
        title="Runaway guards"
        description="Per workflow: stop a run that loops, and pause a workflow whose spend runs away until an operator resets its breaker. Trips are notified and audited."
      />
      {reset.error ? (
        <p role="alert" className="px-5 pt-3 text-sm text-rose-600">
          {errorMessage(reset.error)}
        </p>
      ) : null}
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {data.map((w) => {
          const g = w.guards;
          const summary = g
            ? [
                g.maxLlmCallsPerRun !== null && `≤ ${g.maxLlmCallsPerRun} LLM calls/run`,
                g.maxStepsPerRun !== null && `≤ ${g.maxStepsPerRun} steps/run`,
                g.maxIdenticalCalls !== null && `≤ ${g.maxIdenticalCalls} identical calls`,
                g.burnLimitUsd !== null && `burn ≤ $${g.burnLimitUsd} / ${g.burnWindowMinutes} min`,
              ].filter(Boolean)
            : [];
          return (
            <li key={w.workflowId} data-testid={`guards-${w.workflowId}`}>
              <div className="flex flex-wrap items-center justify-between gap-3 px-5 py-3">
                <div>
                  <div className="text-sm font-medium">
                    {w.workflowName} <span className="text-xs font-normal text-slate-500">{w.workflowId}</span>{" "}
                    {g?.tripped ? <Badge tone="red">breaker open</Badge> : null}
                  </div>
                  <div className="text-xs text-slate-500">{summary.length ? summary.join(" · ") : "No guards"}</div>
                  {g?.tripped ? (
                    <div className="mt-1 text-xs text-rose-700 dark:text-rose-300">
                      Tripped {g.trippedAt ? new Date(g.trippedAt).toLocaleString() : ""}: {g.trippedReason}. New runs
                      are paused.
                    </div>
                  ) : null}
                </div>
                <div className="flex gap-2">
                  {g?.tripped && canReset ? (
                    <Button
                      variant="danger"
                      disabled={reset.isPending}
                      onClick={() => reset.mutate({ workflowId: w.workflowId })}
                    >
                      Reset breaker
                    </Button>
                  ) : null}
                  {canManage && editing !== w.workflowId ? (
                    <Button variant="secondary" onClick={() => setEditing(w.workflowId)}>
                      Edit guards
                    </Button>
                  ) : null}
                </div>
              </div>
              {editing === w.workflowId ? (
                <GuardEditor
                  workflowId={w.workflowId}
                  version={g?.version ?? 0}
                  initial={{
                    maxLlmCallsPerRun: g?.maxLlmCallsPerRun?.toString() ?? "",
                    maxStepsPerRun: g?.maxStepsPerRun?.toString() ?? "",
                    maxIdenticalCalls: g?.maxIdenticalCalls?.toString() ?? "",
                    burnWindowMinutes: g?.burnWindowMinutes?.toString() ?? "",
                    burnLimitUsd: g?.burnLimitUsd ?? "",
                  }}
                  onDone={() => setEditing(null)}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
