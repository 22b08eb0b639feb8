"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import type { SetModelPriceInput } from "@/server/governance/pricing/schemas";
import { errorMessage, fieldErrors } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label, Select } from "@/components/ui/form";
import { EmptyRow, Table, Td, Th, Tr } from "@/components/ui/table";

const PAGE = 50;
const rate = (v: string | null) => (v === null ? <span className="text-slate-400">—</span> : `$${v}`);

/** Search the price catalogue: dollars per million tokens for each kind of token. */
function Catalogue() {
  const trpc = useTRPC();
  const [query, setQuery] = useState("");
  const [provider, setProvider] = useState("");
  const [offset, setOffset] = useState(0);
  const deferred = useDeferredValue(query);
  const { data } = useQuery({
    ...trpc.governance.models.search.queryOptions({
      query: deferred,
      provider: provider || undefined,
      limit: PAGE,
      offset,
    }),
    placeholderData: keepPreviousData,
  });
  return (
    <Card>
      <CardHeader
        title="Price catalogue"
        description="From @pydantic/genai-prices, bundled with wflo; USD per million tokens. Admin overrides win over these."
      />
      <div className="flex flex-wrap gap-3 px-5 py-3">
        <Input
          aria-label="Search models"
          placeholder="Search models, e.g. gpt-4o or claude sonnet"
          className="max-w-md"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setOffset(0);
          }}
        />
        <Select
          aria-label="Provider"
          className="max-w-56"
          value={provider}
          onChange={(e) => {
            setProvider(e.target.value);
            setOffset(0);
          }}
        >
          <option value="">All providers</option>
          {(data?.providers ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </Select>
        <span className="self-center text-sm text-slate-500" data-testid="catalogue-total">
          {data ? `${data.total.toLocaleString()} model${data.total === 1 ? "" : "s"}` : "…"}
        </span>
      </div>
      <Table>
        <thead>
          <tr>
            <Th>Model</Th>
            <Th className="text-right">Input</Th>
            <Th className="text-right">Cached input</Th>
            <Th className="text-right">Cache write</Th>
            <Th className="text-right">Output</Th>
            <Th className="text-right">Reasoning</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {data && data.items.length === 0 ? <EmptyRow colSpan={6}>No model matches.</EmptyRow> : null}
          {(data?.items ?? []).map((m) => (
            <Tr key={`${m.provider}/${m.model}`}>
              <Td>
                <div className="font-mono text-xs">
                  {m.provider}/{m.model}
                </div>
                <div className="flex flex-wrap gap-1 text-xs text-slate-500">
                  {m.name !== m.model ? m.name : null}
                  {m.provider === "simulated" ? <Badge tone="violet">simulated</Badge> : null}
                  {m.overridden ? <Badge tone="blue">overridden</Badge> : null}
                  {m.variable ? <Badge>tiered / timed</Badge> : null}
                  {m.deprecated ? <Badge tone="amber">deprecated</Badge> : null}
                </div>
              </Td>
              <Td className="text-right tabular-nums">{rate(m.rates.input)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.cachedInput)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.cacheWrite)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.output)}</Td>
              <Td className="text-right tabular-nums">{rate(m.rates.reasoning)}</Td>
            </Tr>
          ))}
        </tbody>
      </Table>
      {data && data.total > PAGE ? (
        <div className="flex items-center justify-between px-5 py-3 text-sm text-slate-500">
          <span>
            {offset + 1}–{Math.min(offset + PAGE, data.total)} of {data.total}
          </span>
          <div className="flex gap-2">
            <Button variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              Previous
            </Button>
            <Button variant="secondary" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
              Next
            </Button>
          </div>
        </div>
      ) : null}
    </Card>
  );
}

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
function Overrides({ canManage }: { canManage: boolean }) {
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

export function ModelsPrices({ canManage }: { canManage: boolean }) {
  return (
    <div className="space-y-6">
      <Overrides canManage={canManage} />
      <Catalogue />
    </div>
  );
}
