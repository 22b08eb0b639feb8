/** Small pieces of the sandbox policy card: sections, a provider line, the fixed rules, hints, checkboxes. */

import { Badge } from "@/components/ui/badge";
import { MAX_FILES, MAX_FILES_BYTES, MAX_RETURNED_FILES_BYTES } from "@/server/sandbox/types";
import { NETWORK_REASON, type ProviderInfo, bytes } from "./sandbox-policy-model";

export function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div>
      <h3 className="mb-1.5 text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      {children}
    </div>
  );
}

export function ProviderLine({ name, info }: { name: string; info: ProviderInfo | undefined }) {
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
export function FixedRules() {
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

export const Hint = ({ text }: { text: string | null }) =>
  text ? <span className="text-slate-400">({text})</span> : null;

export function Checkbox({
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
