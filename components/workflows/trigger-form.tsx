"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useOpenRunForEvent } from "@/components/runs/use-open-run";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { FieldError, Input, Label, Select, Textarea } from "@/components/ui/form";

/** The subset of JSON Schema that zod's toJSONSchema emits for workflow inputs and this form draws. */
type FieldSchema = {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
};
type Field = {
  name: string;
  schema: FieldSchema;
  required: boolean;
  control: "select" | "checkbox" | "number" | "textarea" | "text";
};

/** Strings allowed to be this long get a textarea. */
const LONG_TEXT = 200;

function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function fieldsOf(jsonSchema: unknown): Field[] {
  const root = asRecord(jsonSchema);
  const required = Array.isArray(root.required) ? root.required.filter((r): r is string => typeof r === "string") : [];
  return Object.entries(asRecord(root.properties)).map(([name, raw]) => {
    const schema = asRecord(raw) as FieldSchema;
    const control: Field["control"] = Array.isArray(schema.enum)
      ? "select"
      : schema.type === "boolean"
        ? "checkbox"
        : schema.type === "integer" || schema.type === "number"
          ? "number"
          : (schema.maxLength ?? Infinity) > LONG_TEXT
            ? "textarea"
            : "text";
    return { name, schema, required: required.includes(name), control };
  });
}

type Values = Record<string, string | boolean>;

function initialValues(fields: Field[]): Values {
  return Object.fromEntries(
    fields.map((f) => [
      f.name,
      f.control === "checkbox"
        ? f.schema.default === true
        : f.schema.default === undefined
          ? ""
          : String(f.schema.default),
    ]),
  );
}

/** Form values to workflow input: empty optional fields are left out so the workflow's defaults apply. */
function toInput(fields: Field[], values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (typeof v === "boolean") out[f.name] = v;
    else if (v === undefined || (v === "" && !f.required)) continue;
    // A non-numeric entry is sent as typed, so the server's message names the rule it breaks.
    else if (f.control === "number") out[f.name] = v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v;
    else out[f.name] = v;
  }
  return out;
}

const label = (name: string) => name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase());

export function TriggerForm({ workflowId, inputSchema }: { workflowId: string; inputSchema: unknown }) {
  const trpc = useTRPC();
  const fields = fieldsOf(inputSchema);
  const [values, setValues] = useState<Values>(() => initialValues(fields));
  // The run's own budget (optional): every LLM call of the run is held to it.
  const [budgetUsd, setBudgetUsd] = useState("");
  const [requireApproval, setRequireApproval] = useState(false);
  const opener = useOpenRunForEvent();
  const trigger = useMutation(trpc.runs.trigger.mutationOptions({ onSuccess: (r) => opener.open(r.eventId) }));
  const errors = fieldErrors(trigger.error);
  const general =
    trigger.error && fields.every((f) => !errors[f.name]) && !errors.budgetUsd ? errorMessage(trigger.error) : null;
  const busy = trigger.isPending || opener.waiting;

  return (
    <form
      noValidate
      className="space-y-4 px-5 py-4"
      onSubmit={(e) => {
        e.preventDefault();
        trigger.mutate({
          workflowId,
          input: toInput(fields, values),
          ...(budgetUsd.trim() ? { budgetUsd: budgetUsd.trim() } : {}),
          ...(requireApproval && { requireApproval }),
        });
      }}
    >
      {fields.length === 0 ? <p className="text-sm text-slate-500">This workflow takes no input.</p> : null}
      {fields.map((f) => {
        const id = `input-${f.name}`;
        const err = errors[f.name];
        const describedBy =
          [f.schema.description ? `${id}-hint` : null, err ? `${id}-error` : null].filter(Boolean).join(" ") ||
          undefined;
        const common = {
          id,
          name: f.name,
          "aria-invalid": Boolean(err) || undefined,
          "aria-describedby": describedBy,
          disabled: busy,
        };
        const value = values[f.name];
        const set = (v: string | boolean) => setValues((prev) => ({ ...prev, [f.name]: v }));
        return (
          <div key={f.name}>
            {f.control === "checkbox" ? (
              <label
                htmlFor={id}
                className="flex items-center gap-2 text-sm font-medium text-slate-700 dark:text-slate-300"
              >
                <input
                  type="checkbox"
                  {...common}
                  checked={value === true}
                  onChange={(e) => set(e.target.checked)}
                  className="h-4 w-4 rounded border-slate-300"
                />
                {label(f.name)}
              </label>
            ) : (
              <Label htmlFor={id}>
                {label(f.name)}
                {f.required ? (
                  <span className="text-rose-600"> *</span>
                ) : (
                  <span className="font-normal text-slate-400"> (optional)</span>
                )}
              </Label>
            )}
            {f.control === "select" ? (
              <Select {...common} value={String(value)} onChange={(e) => set(e.target.value)}>
                {f.required ? null : f.schema.default === undefined ? <option value="">—</option> : null}
                {(f.schema.enum ?? []).map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </Select>
            ) : f.control === "number" ? (
              <Input
                {...common}
                type="number"
                inputMode="numeric"
                min={f.schema.minimum}
                max={f.schema.maximum}
                step={f.schema.type === "integer" ? 1 : "any"}
                value={String(value)}
                onChange={(e) => set(e.target.value)}
              />
            ) : f.control === "textarea" ? (
              <Textarea
                {...common}
                rows={4}
                maxLength={f.schema.maxLength}
                value={String(value)}
                onChange={(e) => set(e.target.value)}
              />
            ) : f.control === "text" ? (
              <Input
                {...common}
                type="text"
                maxLength={f.schema.maxLength}
                value={String(value)}
                onChange={(e) => set(e.target.value)}
              />
            ) : null}
            {f.schema.description ? (
              <p id={`${id}-hint`} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
                {f.schema.description}
              </p>
            ) : null}
            <FieldError id={`${id}-error`} message={err} />
          </div>
        );
      })}
      <div>
        <Label htmlFor="run-budget-usd">
          Budget (USD)<span className="font-normal text-slate-400"> (optional)</span>
        </Label>
        <Input
          id="run-budget-usd"
          name="budgetUsd"
          type="text"
          inputMode="decimal"
          placeholder="e.g. 0.50"
          value={budgetUsd}
          disabled={busy}
          aria-invalid={Boolean(errors.budgetUsd) || undefined}
          aria-describedby={errors.budgetUsd ? "run-budget-usd-hint run-budget-usd-error" : "run-budget-usd-hint"}
          onChange={(e) => setBudgetUsd(e.target.value)}
          className="max-w-40"
        />
        <p id="run-budget-usd-hint" className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          The most this run may spend on LLM calls; a call that could pass it stops the run.
        </p>
        <FieldError id="run-budget-usd-error" message={errors.budgetUsd} />
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          name="requireApproval"
          checked={requireApproval}
          disabled={busy}
          onChange={(e) => setRequireApproval(e.target.checked)}
          className="h-4 w-4 rounded border-slate-300"
        />
        Require approval for every LLM step
      </label>
      {general || opener.message ? (
        <p
          role="alert"
          className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
        >
          {general ?? opener.message}
        </p>
      ) : null}
      <div className="flex items-center gap-3 pt-1">
        <Button type="submit" disabled={busy}>
          {trigger.isPending ? "Sending…" : opener.waiting ? "Starting run…" : "Run workflow"}
        </Button>
        {opener.waiting ? (
          <span className="text-sm text-slate-500">Event sent; opening the run as soon as it starts.</span>
        ) : null}
      </div>
    </form>
  );
}
