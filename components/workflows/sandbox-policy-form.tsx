import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FieldError, Input } from "@/components/ui/form";
import { SANDBOX_LANGUAGES } from "@/server/sandbox/types";
import {
  type Form,
  LIMITS,
  type LimitKey,
  type Policy,
  type PolicyInput,
  type ProviderInfo,
  humanHint,
  limitsOf,
  policyErrors,
  toForm,
} from "./sandbox-policy-model";
import { Checkbox, FixedRules } from "./sandbox-policy-parts";

/** The admins' edit form: providers, languages and limits; the server checks every field and a bad one is shown under it. */
export function PolicyForm({
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
