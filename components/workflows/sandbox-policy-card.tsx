"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorCode, errorMessage, fieldIssues } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input } from "@/components/ui/form";
import type { AppRouter } from "@/server/api/root";
import {
  MAX_FILES,
  MAX_FILES_BYTES,
  MAX_RETURNED_FILES_BYTES,
  SANDBOX_LANGUAGES,
  type SandboxLimits,
} from "@/server/sandbox/types";

type Outputs = inferRouterOutputs<AppRouter>["sandbox"];
type PolicyInput = inferRouterInputs<AppRouter>["sandbox"]["setPolicy"];
type Policy = Outputs["policy"];
type ProviderInfo = Outputs["providers"][number];
type LimitKey = keyof SandboxLimits;

/** The four limits, in the order and units the API stores them (the form edits those units, so server messages match). */
const LIMITS: { key: LimitKey; label: string; unit: string; human: (n: number) => string }[] = [
  { key: "timeoutMs", label: "Wall clock", unit: "ms", human: (n) => duration(n) },
  { key: "cpuSeconds", label: "CPU time", unit: "s", human: (n) => duration(n * 1000) },
  { key: "memoryMb", label: "Memory", unit: "MB", human: (n) => (n >= 1024 ? `${trim(n / 1024)} GB` : `${n} MB`) },
  { key: "maxOutputBytes", label: "Output (stdout+stderr)", unit: "bytes", human: (n) => bytes(n) },
];

/** "30 s" for 30000 ms; nothing when it would repeat the number and unit ("5 s" for 5 s). */
function humanHint(l: (typeof LIMITS)[number], n: number): string | null {
  const h = l.human(n);
  return h === `${n} ${l.unit}` ? null : h;
}

/** Why the network row is never a toggle: the same reason `applyPolicy` refuses every grant. */
const NETWORK_REASON =
  "No sandbox provider can enforce a host allowlist yet (that needs an egress proxy), and a grant would need an approval step, so code always runs without network.";

const trim = (n: number) => String(Math.round(n * 100) / 100);
function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}
function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  return `${trim(n / (1024 * 1024))} MiB`;
}

/**
 * setPolicy's input schema names each problem's full path as data (error.data.issues): limits are
 * keyed by "defaults.timeoutMs", lists by their name; anything else is shown as a general error.
 */
function policyErrors(err: unknown): { fields: Record<string, string>; general: string | null } {
  if (!err) return { fields: {}, general: null };
  if (errorCode(err) !== "BAD_REQUEST") return { fields: {}, general: errorMessage(err) };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const issue of fieldIssues(err)) {
    const key = /^(defaults\.\w+|maximums\.\w+|languages|providers)(?:\.\d+)?$/.exec(issue.field)?.[1];
    if (key) fields[key] ??= issue.message;
    else rest.push(issue.field ? `${issue.field}: ${issue.message}` : issue.message);
  }
  return { fields, general: rest.length ? rest.join("; ") : null };
}

type Form = {
  languages: string[];
  providers: string[];
  defaults: Record<LimitKey, string>;
  maximums: Record<LimitKey, string>;
};

const toForm = (p: Pick<Policy, "languages" | "providers" | "defaults" | "maximums">): Form => ({
  languages: [...p.languages],
  providers: [...p.providers],
  defaults: Object.fromEntries(LIMITS.map((l) => [l.key, String(p.defaults[l.key])])) as Form["defaults"],
  maximums: Object.fromEntries(LIMITS.map((l) => [l.key, String(p.maximums[l.key])])) as Form["maximums"],
});

/** A whole number is sent as one; anything else is sent as typed, so the server's message names the rule it breaks. */
const numeric = (v: string): number | string => (v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : v);
const limitsOf = (r: Record<LimitKey, string>) => Object.fromEntries(LIMITS.map((l) => [l.key, numeric(r[l.key])]));

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div>
      <h3 className="mb-1.5 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      {children}
    </div>
  );
}

function ProviderLine({ name, info }: { name: string; info: ProviderInfo | undefined }) {
  return (
    <li className="flex flex-wrap items-center gap-2 text-sm">
      <span className="font-mono">{name}</span>
      {info?.default ? <Badge tone="blue">configured default</Badge> : null}
      {info ? (
        info.available ? (
          <Badge tone="green">available</Badge>
        ) : (
          <Badge tone="amber">unavailable here</Badge>
        )
      ) : null}
      {info && !info.available && info.missing ? (
        <span className="text-xs text-slate-500 dark:text-slate-400">{info.missing}</span>
      ) : null}
    </li>
  );
}

/** What never changes per workflow: file caps and network (off). Shown read-only to everyone. */
function FixedRules() {
  return (
    <>
      <Section title="Files">
        <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="sandbox-files">
          Up to {MAX_FILES} input files, {bytes(MAX_FILES_BYTES)} in total; files written by the code come back up to{" "}
          {bytes(MAX_RETURNED_FILES_BYTES)}. Same for every workflow.
        </p>
      </Section>
      <Section title="Network">
        <div className="flex items-start gap-2 text-sm" data-testid="sandbox-network">
          <Badge tone="slate">off</Badge>
          <span className="text-slate-600 dark:text-slate-400">{NETWORK_REASON}</span>
        </div>
      </Section>
    </>
  );
}

const Hint = ({ text }: { text: string | null }) => (text ? <span className="text-slate-400">({text})</span> : null);

function PolicyView({ policy, providers }: { policy: Policy; providers: ProviderInfo[] | undefined }) {
  return (
    <div className="space-y-5 px-5 py-4">
      <div className="grid gap-5 md:grid-cols-2">
        <Section title="Providers allowed">
          <ul className="space-y-1" data-testid="sandbox-providers">
            {policy.providers.map((p) => (
              <ProviderLine key={p} name={p} info={providers?.find((i) => i.name === p)} />
            ))}
          </ul>
        </Section>
        <Section title="Languages">
          <div className="flex flex-wrap gap-1.5" data-testid="sandbox-languages">
            {policy.languages.map((l) => (
              <Badge key={l}>{l}</Badge>
            ))}
          </div>
        </Section>
      </div>
      <Section title="Limits">
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="sandbox-limits">
            <thead>
              <tr className="text-left text-xs text-slate-500 dark:text-slate-400">
                <th className="py-1 pr-6 font-medium">Limit</th>
                <th className="py-1 pr-6 font-medium">Default</th>
                <th className="py-1 font-medium">Maximum a step may ask for</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {LIMITS.map((l) => (
                <tr key={l.key} data-testid={`sandbox-limit-${l.key}`}>
                  <td className="py-1.5 pr-6">{l.label}</td>
                  <td className="py-1.5 pr-6 tabular-nums">
                    {policy.defaults[l.key].toLocaleString("en-US")} {l.unit}{" "}
                    <Hint text={humanHint(l, policy.defaults[l.key])} />
                  </td>
                  <td className="py-1.5 tabular-nums">
                    {policy.maximums[l.key].toLocaleString("en-US")} {l.unit}{" "}
                    <Hint text={humanHint(l, policy.maximums[l.key])} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <FixedRules />
    </div>
  );
}

function Checkbox({
  label,
  checked,
  disabled,
  onChange,
  badge,
  note,
}: {
  label: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (v: boolean) => void;
  badge?: React.ReactNode;
  note?: string | null;
}) {
  return (
    <div>
      <label className={`flex items-center gap-2 text-sm ${disabled ? "text-slate-400" : ""}`}>
        <input
          type="checkbox"
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange(e.target.checked)}
          className="h-4 w-4 rounded border-slate-300"
        />
        <span className="font-mono">{label}</span>
        {badge}
      </label>
      {note ? <p className="ml-6 text-xs text-slate-500 dark:text-slate-400">{note}</p> : null}
    </div>
  );
}

function PolicyForm({
  policy,
  providers,
  wfloDefaults,
  onDone,
}: {
  policy: Policy;
  providers: ProviderInfo[] | undefined;
  wfloDefaults: Policy;
  onDone: (saved: boolean) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [form, setForm] = useState<Form>(() => toForm(policy));
  const [resetNote, setResetNote] = useState(false);
  const save = useMutation(
    trpc.sandbox.setPolicy.mutationOptions({
      onSuccess: (saved) => {
        qc.setQueryData(trpc.sandbox.policy.queryKey({ workflowId: policy.workflowId }), saved);
        onDone(true);
      },
    }),
  );
  const { fields, general } = policyErrors(save.error);
  const busy = save.isPending;
  const toggle = (list: string[], v: string, on: boolean) =>
    on ? [...new Set([...list, v])] : list.filter((x) => x !== v);
  const setLimit = (group: "defaults" | "maximums", key: LimitKey, v: string) =>
    setForm((f) => ({ ...f, [group]: { ...f[group], [key]: v } }));
  // Every provider wflo knows, plus any the stored policy names; unavailable ones can be removed but not added.
  const names = [...new Set([...(providers ?? []).map((p) => p.name), ...form.providers])];

  return (
    <form
      noValidate
      aria-label="Sandbox policy"
      className="space-y-5 px-5 py-4"
      onSubmit={(e) => {
        e.preventDefault();
        // Network is not editable here (never granted today): what is stored is sent back unchanged.
        // Sent as typed (a limit that is not a number stays text): the server's schema is the guard and names each field.
        const input = {
          workflowId: policy.workflowId,
          languages: form.languages,
          providers: form.providers,
          defaults: limitsOf(form.defaults),
          maximums: limitsOf(form.maximums),
          network: policy.network,
        };
        save.mutate(input as PolicyInput);
      }}
    >
      <div className="grid gap-5 md:grid-cols-2">
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Providers allowed
          </legend>
          <div className="space-y-1.5">
            {names.map((name) => {
              const info = providers?.find((p) => p.name === name);
              const checked = form.providers.includes(name);
              const unavailable = info ? !info.available : false;
              return (
                <Checkbox
                  key={name}
                  label={name}
                  checked={checked}
                  disabled={busy || (unavailable && !checked)}
                  onChange={(on) => setForm((f) => ({ ...f, providers: toggle(f.providers, name, on) }))}
                  badge={info?.default ? <Badge tone="blue">configured default</Badge> : null}
                  note={unavailable ? `unavailable here: ${info?.missing ?? "unknown reason"}` : null}
                />
              );
            })}
            {!providers ? <p className="text-xs text-slate-500">Checking which providers can run here…</p> : null}
          </div>
          <FieldError message={fields.providers} />
        </fieldset>
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
            Languages
          </legend>
          <div className="space-y-1.5">
            {SANDBOX_LANGUAGES.map((l) => (
              <Checkbox
                key={l}
                label={l}
                checked={form.languages.includes(l)}
                disabled={busy}
                onChange={(on) => setForm((f) => ({ ...f, languages: toggle(f.languages, l, on) }))}
              />
            ))}
          </div>
          <FieldError message={fields.languages} />
        </fieldset>
      </div>
      <fieldset>
        <legend className="mb-1.5 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">
          Limits
        </legend>
        <p className="mb-3 text-xs text-slate-500 dark:text-slate-400">
          A step runs with the default unless it asks for more; it may ask for up to the maximum.
        </p>
        <div className="space-y-3">
          {LIMITS.map((l) => (
            <div key={l.key} className="grid gap-x-4 gap-y-1 sm:grid-cols-[11rem_1fr_1fr]">
              <div className="pt-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">{l.label}</div>
              {(["defaults", "maximums"] as const).map((group) => {
                const id = `sandbox-${group}-${l.key}`;
                const err = fields[`${group}.${l.key}`];
                const value = form[group][l.key];
                const n = Number(value);
                return (
                  <div key={group}>
                    <label
                      htmlFor={id}
                      className="sr-only"
                    >{`${l.label} ${group === "defaults" ? "default" : "maximum"} (${l.unit})`}</label>
                    <div className="flex items-center gap-2">
                      <span className="w-16 shrink-0 text-xs text-slate-500 dark:text-slate-400">
                        {group === "defaults" ? "default" : "maximum"}
                      </span>
                      <Input
                        id={id}
                        type="text"
                        inputMode="numeric"
                        value={value}
                        disabled={busy}
                        aria-invalid={Boolean(err) || undefined}
                        aria-describedby={err ? `${id}-error` : undefined}
                        onChange={(e) => setLimit(group, l.key, e.target.value)}
                        className="max-w-36 tabular-nums"
                      />
                      <span className="shrink-0 text-xs text-slate-500 dark:text-slate-400">
                        {l.unit}
                        {value.trim() !== "" && Number.isInteger(n) && n > 0 && humanHint(l, n) ? (
                          <span className="text-slate-400"> · {humanHint(l, n)}</span>
                        ) : null}
                      </span>
                    </div>
                    <FieldError id={`${id}-error`} message={err} />
                  </div>
                );
              })}
            </div>
          ))}
        </div>
      </fieldset>
      <FixedRules />
      {general ? (
        <p
          role="alert"
          className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
        >
          {general}
        </p>
      ) : null}
      <div className="flex flex-wrap items-center gap-3 border-t border-slate-200 pt-4 dark:border-slate-800">
        <Button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save policy"}
        </Button>
        <Button type="button" variant="secondary" disabled={busy} onClick={() => onDone(false)}>
          Cancel
        </Button>
        <Button
          type="button"
          variant="ghost"
          disabled={busy}
          onClick={() => {
            setForm(toForm(wfloDefaults));
            setResetNote(true);
            save.reset();
          }}
        >
          Reset to wflo defaults
        </Button>
        {resetNote ? (
          <span className="text-xs text-slate-500 dark:text-slate-400">
            Form filled with wflo&apos;s defaults; save to apply them.
          </span>
        ) : null}
      </div>
    </form>
  );
}

/**
 * A workflow's sandbox policy: what `wflo.sandbox.run` in its steps may use. Everyone who can
 * see the workflow sees it; `canManage` (settings:manage, checked on the page; the server
 * enforces it again) adds the edit form.
 */
export function SandboxPolicyCard({
  workflowId,
  canManage,
  wfloDefaults,
}: {
  workflowId: string;
  canManage: boolean;
  wfloDefaults: Policy;
}) {
  const trpc = useTRPC();
  const policy = useQuery(trpc.sandbox.policy.queryOptions({ workflowId }));
  const providers = useQuery(trpc.sandbox.providers.queryOptions(undefined, { staleTime: 60_000 }));
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);

  const source = policy.data
    ? policy.data.stored
      ? "Set for this workflow."
      : "wflo's defaults (nothing stored for this workflow)."
    : "";
  return (
    <Card data-testid="sandbox-policy">
      <CardHeader
        title="Sandbox policy"
        description={`What code run by this workflow's steps (wflo.sandbox.run) may use. ${source}`}
        action={
          <div className="flex items-center gap-2">
            {policy.data ? (
              <Badge tone={policy.data.stored ? "blue" : "slate"}>{policy.data.stored ? "custom" : "defaults"}</Badge>
            ) : null}
            {canManage && !editing && policy.data ? (
              <Button
                type="button"
                variant="secondary"
                onClick={() => {
                  setEditing(true);
                  setSaved(false);
                }}
              >
                Edit policy
              </Button>
            ) : null}
          </div>
        }
      />
      {saved ? (
        <p
          role="status"
          className="mx-5 mt-4 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-300"
        >
          Policy saved. New sandbox executions of this workflow use it; the change is in the audit log.
        </p>
      ) : null}
      {policy.error ? (
        <p role="alert" className="px-5 py-4 text-sm text-rose-600">
          Could not load the policy: {errorMessage(policy.error)}
        </p>
      ) : !policy.data ? (
        <p className="px-5 py-4 text-sm text-slate-500">Loading…</p>
      ) : editing ? (
        <PolicyForm
          policy={policy.data}
          providers={providers.data}
          wfloDefaults={wfloDefaults}
          onDone={(ok) => {
            setEditing(false);
            setSaved(ok);
          }}
        />
      ) : (
        <>
          <PolicyView policy={policy.data} providers={providers.data} />
          {!canManage ? (
            <p
              className="border-t border-slate-200 px-5 py-3 text-xs text-slate-500 dark:border-slate-800"
              data-testid="sandbox-policy-read-only"
            >
              Read-only: an admin (settings:manage) can change it.
            </p>
          ) : null}
        </>
      )}
    </Card>
  );
}
