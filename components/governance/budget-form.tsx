"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { FieldError, Input, Label, Select } from "@/components/ui/form";
import { isConflict } from "./errors";

export const SCOPES = ["global", "workflow", "agent", "user", "api_key", "tag"] as const;
export const PERIODS = ["run", "hour", "day", "week", "month", "lifetime"] as const;

export type EditableBudget = {
  id: string;
  name: string;
  scope: (typeof SCOPES)[number];
  scopeValue: string;
  period: (typeof PERIODS)[number];
  limitUsd: string;
  alertThresholds: number[];
  enabled: boolean;
  version: number;
};

const SCOPE_HINT: Record<(typeof SCOPES)[number], string> = {
  global: "Every LLM call.",
  workflow: "Calls of one workflow (its id).",
  agent: "Calls made for one agent name.",
  user: "Calls of runs a user triggered (an existing user's id or email).",
  api_key: "Calls of runs started with one API key (the key's id, from Settings → API keys).",
  tag: "Calls carrying a tag.",
};

/** "50, 80, 100" -> [50, 80, 100]; entries that are not numbers are sent as typed so the server names the rule. */
/** A word that is not a number goes as NaN (superjson keeps it): the server refuses it with its own rule. */
function parseThresholds(text: string): number[] {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((t) => (Number.isFinite(Number(t)) ? Number(t) : Number.NaN));
}

/** Create (no `budget`) or edit a budget. Scope and period are fixed once created: they decide which calls it holds. */
export function BudgetForm({
  budget,
  workflows,
  timeZone,
  onDone,
}: {
  budget?: EditableBudget;
  workflows: { id: string; name: string }[];
  timeZone: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState(budget?.name ?? "");
  const [scope, setScope] = useState<(typeof SCOPES)[number]>(budget?.scope ?? "workflow");
  const [scopeValue, setScopeValue] = useState(budget?.scopeValue ?? "");
  const [period, setPeriod] = useState<(typeof PERIODS)[number]>(budget?.period ?? "day");
  const [limitUsd, setLimitUsd] = useState(budget?.limitUsd ?? "");
  const [thresholds, setThresholds] = useState((budget?.alertThresholds ?? [50, 80, 100]).join(", "));
  const [enabled, setEnabled] = useState(budget?.enabled ?? true);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.governance.budgets.list.queryKey() });
  const opts = { onSuccess: () => void refresh().then(onDone) };
  const create = useMutation(trpc.governance.budgets.create.mutationOptions(opts));
  const update = useMutation(trpc.governance.budgets.update.mutationOptions(opts));
  const m = budget ? update : create;
  const errors = fieldErrors(m.error);
  const conflict = isConflict(m.error) && Boolean(budget);
  const general = m.error && !Object.keys(errors).some((k) => k !== "expectedVersion") ? errorMessage(m.error) : null;
  const idp = budget ? `budget-${budget.id}` : "budget-new";

  const field = (key: string, label: string, control: React.ReactNode, hint?: string) => (
    <div>
      <Label htmlFor={`${idp}-${key}`}>{label}</Label>
      {control}
      {hint ? <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">{hint}</p> : null}
      <FieldError id={`${idp}-${key}-error`} message={errors[key]} />
    </div>
  );
  const aria = (key: string) => ({
    id: `${idp}-${key}`,
    "aria-invalid": Boolean(errors[key]) || undefined,
    "aria-describedby": errors[key] ? `${idp}-${key}-error` : undefined,
  });

  return (
    <form
      noValidate
      aria-label={budget ? `Edit budget ${budget.name}` : "New budget"}
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        const common = { name, limitUsd: limitUsd.trim(), alertThresholds: parseThresholds(thresholds), enabled };
        if (budget) update.mutate({ id: budget.id, expectedVersion: budget.version, ...common });
        else create.mutate({ ...common, scope, scopeValue: scope === "global" ? "" : scopeValue, period });
      }}
    >
      {field(
        "name",
        "Name",
        <Input
          {...aria("name")}
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          placeholder="Research assistant, daily"
        />,
      )}
      <div className="grid grid-cols-2 gap-3">
        {field(
          "scope",
          "Scope",
          <Select
            {...aria("scope")}
            value={scope}
            disabled={Boolean(budget)}
            onChange={(e) => setScope(e.target.value as (typeof SCOPES)[number])}
          >
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </Select>,
          SCOPE_HINT[scope],
        )}
        {field(
          "period",
          "Period",
          <Select
            {...aria("period")}
            value={period}
            disabled={Boolean(budget)}
            onChange={(e) => setPeriod(e.target.value as (typeof PERIODS)[number])}
          >
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {p === "run" ? "per run" : p}
              </option>
            ))}
          </Select>,
          period === "run" || period === "lifetime" ? undefined : `Calendar ${period}s in ${timeZone}.`,
        )}
      </div>
      {scope === "global"
        ? null
        : field(
            "scopeValue",
            scope === "workflow" ? "Workflow" : "Applies to",
            scope === "workflow" && !budget ? (
              <Select {...aria("scopeValue")} value={scopeValue} onChange={(e) => setScopeValue(e.target.value)}>
                <option value="">Choose a workflow…</option>
                {workflows.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name} ({w.id})
                  </option>
                ))}
              </Select>
            ) : (
              <Input
                {...aria("scopeValue")}
                value={scopeValue}
                disabled={Boolean(budget)}
                onChange={(e) => setScopeValue(e.target.value)}
              />
            ),
          )}
      <div className="grid grid-cols-2 gap-3">
        {field(
          "limitUsd",
          "Limit (USD)",
          <Input
            {...aria("limitUsd")}
            inputMode="decimal"
            value={limitUsd}
            onChange={(e) => setLimitUsd(e.target.value)}
            placeholder="10.00"
          />,
        )}
        {field(
          "alertThresholds",
          "Alert at (%)",
          <Input
            {...aria("alertThresholds")}
            value={thresholds}
            onChange={(e) => setThresholds(e.target.value)}
            placeholder="50, 80, 100"
          />,
        )}
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
          className="h-4 w-4 rounded border-slate-300"
        />{" "}
        Enabled
      </label>
      {conflict ? (
        <div
          role="alert"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
        >
          Someone else changed this budget while you were editing. {errorMessage(m.error)}{" "}
          <button type="button" className="font-medium underline" onClick={() => void refresh().then(onDone)}>
            Reload the latest version
          </button>
        </div>
      ) : general ? (
        <p
          role="alert"
          className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
        >
          {general}
        </p>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={m.isPending}>
          {m.isPending ? "Saving…" : budget ? "Save changes" : "Create budget"}
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
