/** Admin prices: the form for a versioned override or custom model, each model's price history, and the overrides list. */

import { useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import type { SetModelPriceInput } from "@/server/governance/pricing/schemas";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label } from "@/components/ui/form";

const PRICE_FIELDS = [
  ["inputPerMtokUsd", "Input"],
  ["cachedInputPerMtokUsd", "Cached input"],
  ["cacheWritePerMtokUsd", "Cache write"],
  ["outputPerMtokUsd", "Output"],
  ["reasoningPerMtokUsd", "Reasoning"],
] as const;

function PriceForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [v, setV] = useState<Record<string, string>>({ provider: "", model: "", currency: "USD", note: "" });
  const save = useMutation(
    trpc.governance.models.setPrice.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.governance.models.overrides.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.governance.models.search.queryKey() });
        onDone();
      },
    }),
  );
  const errors = fieldErrors(save.error);
  const input = (key: string, label: string, hint?: string) => (
    <div>
      <Label htmlFor={`price-${key}`}>{label}</Label>
      <Input
        id={`price-${key}`}
        value={v[key] ?? ""}
        aria-invalid={Boolean(errors[key]) || undefined}
        onChange={(e) => setV((p) => ({ ...p, [key]: e.target.value }))}
        placeholder={hint}
      />
      <FieldError message={errors[key]} />
    </div>
  );
  return (
    <form
      noValidate
      aria-label="Set a model price"
      className="space-y-3 px-5 py-4"
      onSubmit={(e) => {
        e.preventDefault();
        const body: Record<string, string> = {};
        for (const [k, val] of Object.entries(v))
          if (val.trim() !== "" || k === "provider" || k === "model") body[k] = val.trim();
        // Blank fields are left out: the server's defaults apply, and a blank required price comes
        // back as that field's rule under its input (the server is the guard, the form only mirrors it).
        save.mutate(body as SetModelPriceInput);
      }}
    >
      <div className="grid grid-cols-2 gap-3">
        {input("provider", "Provider", "openai")}
        {input("model", "Model id", "gpt-4o or my-finetune")}
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-5">
        {PRICE_FIELDS.map(([k, label]) => (
          <div key={k}>
            {input(k, `${label} $/Mtok`, k === "inputPerMtokUsd" || k === "outputPerMtokUsd" ? "required" : "optional")}
          </div>
        ))}
      </div>
      <div className="grid grid-cols-2 gap-3">
        {input("currency", "Currency")}
        {input("note", "Note", "negotiated rate, 2026 contract")}
      </div>
      {save.error && !Object.keys(errors).length ? (
        <p role="alert" className="text-sm text-rose-600">
          {errorMessage(save.error)}
        </p>
      ) : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save price"}
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

function History({ provider, model }: { provider: string; model: string }) {
  const trpc = useTRPC();
  const { data } = useQuery(trpc.governance.models.history.queryOptions({ provider, model }));
  if (!data) return <p className="px-5 py-2 text-xs text-slate-500">Loading history…</p>;
  return (
    <ol className="space-y-1 px-5 pb-3 text-xs text-slate-600 dark:text-slate-300">
      {data.map((h) => (
        <li key={h.id} className="tabular-nums">
          v{h.version} · {new Date(h.effectiveFrom).toLocaleString()} · {h.createdByEmail} ·{" "}
          {h.removed
            ? "removed (back to the catalogue)"
            : `in $${h.inputPerMtokUsd} / out $${h.outputPerMtokUsd}${h.cachedInputPerMtokUsd ? ` / cached $${h.cachedInputPerMtokUsd}` : ""}`}
          {h.note && !h.removed ? ` · ${h.note}` : ""}
        </li>
      ))}
    </ol>
  );
}

/** Admin prices (versioned overrides and custom models) and the unpriced-models switch. */
export function Overrides({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data: overrides } = useSuspenseQuery(trpc.governance.models.overrides.queryOptions());
  const { data: settings } = useSuspenseQuery(trpc.governance.models.settings.queryOptions());
  const [adding, setAdding] = useState(false);
  const [open, setOpen] = useState<string | null>(null);
  const remove = useMutation(
    trpc.governance.models.removePrice.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.governance.models.overrides.queryKey() }),
    }),
  );
  const unpriced = useMutation(
    trpc.governance.models.setAllowUnpriced.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.governance.models.settings.queryKey() }),
    }),
  );
  return (
    <Card>
      <CardHeader
        title="Overrides and custom models"
        description="Versioned: a change adds a version, calls keep the price they were charged at."
        action={canManage && !adding ? <Button onClick={() => setAdding(true)}>Set a price</Button> : null}
      />
      <div className="flex items-center justify-between gap-4 border-b border-slate-100 px-5 py-3 text-sm dark:border-slate-800">
        <label className="flex items-center gap-2">
          <input
            type="checkbox"
            aria-label="Allow unpriced models"
            className="h-4 w-4 rounded border-slate-300"
            checked={settings.allowUnpricedModels}
            disabled={!canManage || unpriced.isPending}
            onChange={(e) => unpriced.mutate({ allow: e.target.checked })}
          />
          Allow unpriced models
        </label>
        <span className="text-xs text-slate-500">
          Off: a call to a model without a price is refused when any budget applies. On: it runs, charged $0 and flagged
          unpriced.
        </span>
      </div>
      {unpriced.error ? (
        <p role="alert" className="px-5 pt-2 text-sm text-rose-600">
          {errorMessage(unpriced.error)}
        </p>
      ) : null}
      {remove.error ? (
        <p role="alert" className="px-5 pt-2 text-sm text-rose-600">
          {errorMessage(remove.error)}
        </p>
      ) : null}
      {adding ? <PriceForm onDone={() => setAdding(false)} /> : null}
      {overrides.length === 0 ? (
        <p className="px-5 py-6 text-center text-sm text-slate-500">
          No overrides: every model is priced from the catalogue.
        </p>
      ) : null}
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {overrides.map((o) => {
          const key = `${o.provider}/${o.model}`;
          return (
            <li key={key}>
              <div className="flex flex-wrap items-center justify-between gap-3 px-5 py-3 text-sm">
                <div>
                  <span className="font-mono text-xs">{key}</span>{" "}
                  <Badge tone={o.removed ? "slate" : "blue"}>{o.removed ? "removed" : `v${o.version}`}</Badge>
                  <div className="text-xs tabular-nums text-slate-500">
                    {o.removed
                      ? "Priced from the catalogue again."
                      : `in $${o.inputPerMtokUsd} · cached ${o.cachedInputPerMtokUsd ? `$${o.cachedInputPerMtokUsd}` : "= input"} · write ${o.cacheWritePerMtokUsd ? `$${o.cacheWritePerMtokUsd}` : "= input"} · out $${o.outputPerMtokUsd} · reasoning ${o.reasoningPerMtokUsd ? `$${o.reasoningPerMtokUsd}` : "= output"} per Mtok`}
                  </div>
                </div>
                <div className="flex gap-2">
                  <Button variant="ghost" onClick={() => setOpen(open === key ? null : key)}>
                    {open === key ? "Hide history" : "History"}
                  </Button>
                  {canManage && !o.removed ? (
                    <Button
                      variant="ghost"
                      className="text-rose-600"
                      disabled={remove.isPending}
                      onClick={() => remove.mutate({ provider: o.provider, model: o.model })}
                    >
                      Remove
                    </Button>
                  ) : null}
                </div>
              </div>
              {open === key ? <History provider={o.provider} model={o.model} /> : null}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
