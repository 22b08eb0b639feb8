"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { LocalTime } from "@/components/runs/time";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label, Select, Textarea } from "@/components/ui/form";
import { ROLES } from "@/db/schema/auth";
import type { PolicyRule } from "@/server/policies/schemas";

type Outcome = PolicyRule["outcome"];
const OUTCOME_LABEL: Record<Outcome["type"], string> = { auto_approve: "Auto-approve", require_approval: "Require approval", deny: "Deny" };

function outcomeText(o: Outcome): string {
  if (o.type === "auto_approve") return "runs without asking";
  if (o.type === "deny") return `denied${o.reason ? `: ${o.reason}` : ""}`;
  const parts = [`${o.approvalsNeeded} × ${o.role}+`];
  if (o.timeout) parts.push(`timeout ${o.timeout} → ${o.onTimeout ?? "reject"}`);
  if (o.escalateAfter) parts.push(`escalate after ${o.escalateAfter}${o.escalateTo ? ` to ${o.escalateTo}` : ""}`);
  if (o.allowSelfApproval === false) parts.push("not the requester");
  if (o.requireComment) parts.push("comment required");
  return parts.join(" · ");
}

function newRule(n: number): PolicyRule {
  return { id: `rule-${n}`, name: "New rule", condition: 'risk == "high" && amountUsd > 1000.0', outcome: { type: "require_approval", role: "approver", approvalsNeeded: 1 } };
}

const SAMPLE = JSON.stringify({ workflow: "cleanup-records", gate: "delete-old-records", action: "Delete rows", risk: "high", amountUsd: 0, costUsd: 0.02, role: "operator", hour: 14, payload: { table: "audit_exports" } }, null, 2);

/** Ordered rules, edited as a draft; saving writes a new version. The test box evaluates the draft. */
export function PolicyEditor({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.policies.current.queryOptions());
  const versions = useQuery(trpc.policies.versions.queryOptions());
  const [draft, setDraft] = useState<PolicyRule[] | null>(null);
  const [note, setNote] = useState("");
  const [sample, setSample] = useState(SAMPLE);
  const [sampleError, setSampleError] = useState<string | null>(null);
  const rules = draft ?? current.data?.rules ?? [];
  const save = useMutation(
    trpc.policies.save.mutationOptions({
      onSuccess: () => {
        setDraft(null);
        setNote("");
        void qc.invalidateQueries({ queryKey: trpc.policies.current.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.policies.versions.queryKey() });
      },
    }),
  );
  const test = useMutation(trpc.policies.test.mutationOptions());
  const edit = (i: number, patch: Partial<PolicyRule>) => setDraft(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const editOutcome = (i: number, patch: Record<string, unknown>) => {
    const r = rules[i];
    if (r) edit(i, { outcome: { ...r.outcome, ...patch } as Outcome });
  };
  const move = (i: number, by: number) => {
    const next = [...rules];
    const [r] = next.splice(i, 1);
    if (r) next.splice(i + by, 0, r);
    setDraft(next);
  };

  const runTest = () => {
    setSampleError(null);
    try {
      const request = JSON.parse(sample) as Record<string, unknown>;
      test.mutate({ rules, request: request as Parameters<typeof test.mutate>[0]["request"] });
    } catch (e) {
      setSampleError(`sample request is not valid JSON: ${(e as Error).message}`);
    }
  };

  return (
    <div className="grid gap-6 xl:grid-cols-[1fr_26rem]">
      <Card className="self-start">
        <CardHeader
          title={current.data ? `Version ${current.data.version}${current.data.builtIn ? " (built-in risk routing)" : ""}${draft ? " · unsaved changes" : ""}` : "Rules"}
          description="Evaluated top to bottom; the first rule whose condition is true decides. No match: an approver decides."
          action={canManage ? <Button variant="secondary" className="whitespace-nowrap" onClick={() => setDraft([...rules, newRule(rules.length + 1)])}>Add rule</Button> : null}
        />
        <ol className="divide-y divide-slate-100 dark:divide-slate-800">
          {rules.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the rule id is an editable field, so the position is what stays put while typing.
            <li key={i} className="px-5 py-4" data-testid={`policy-rule-${r.id}`}>
              <div className="flex flex-wrap items-center gap-2">
                <span className="grid h-6 w-6 place-items-center rounded-full bg-slate-100 text-xs font-semibold tabular-nums dark:bg-slate-800">{i + 1}</span>
                {canManage ? (
                  <Input aria-label={`Name of rule ${i + 1}`} className="max-w-sm flex-1" value={r.name} onChange={(e) => edit(i, { name: e.target.value })} />
                ) : (
                  <span className="font-medium">{r.name}</span>
                )}
                <Badge tone={r.outcome.type === "auto_approve" ? "green" : r.outcome.type === "deny" ? "red" : "amber"}>{OUTCOME_LABEL[r.outcome.type]}</Badge>
                <span className="font-mono text-xs text-slate-400">{r.id}</span>
                {canManage ? (
                  <span className="ml-auto flex gap-1">
                    <Button variant="ghost" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</Button>
                    <Button variant="ghost" aria-label={`Move rule ${i + 1} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)}>↓</Button>
                    <Button variant="ghost" aria-label={`Remove rule ${i + 1}`} onClick={() => setDraft(rules.filter((_, j) => j !== i))}>✕</Button>
                  </span>
                ) : null}
              </div>
              {canManage ? (
                <div className="mt-3 grid gap-3 sm:grid-cols-[1fr_12rem]">
                  <div>
                    <Label htmlFor={`cond-${i}`}>Condition (CEL)</Label>
                    <Input id={`cond-${i}`} className="font-mono text-xs" value={r.condition} onChange={(e) => edit(i, { condition: e.target.value })} />
                  </div>
                  <div>
                    <Label htmlFor={`outcome-${i}`}>Outcome</Label>
                    <Select
                      id={`outcome-${i}`}
                      value={r.outcome.type}
                      onChange={(e) => {
                        const t = e.target.value as Outcome["type"];
                        edit(i, { outcome: t === "require_approval" ? { type: t, role: "approver", approvalsNeeded: 1 } : t === "deny" ? { type: t, reason: "" } : { type: t } });
                      }}
                    >
                      {Object.entries(OUTCOME_LABEL).map(([k, v]) => (
                        <option key={k} value={k}>{v}</option>
                      ))}
                    </Select>
                  </div>
                  {r.outcome.type === "require_approval" ? (
                    <div className="grid grid-cols-2 gap-3 sm:col-span-2 sm:grid-cols-[8.5rem_6rem_1fr_1fr_1fr]">
                      <div>
                        <Label htmlFor={`role-${i}`}>Role</Label>
                        <Select id={`role-${i}`} value={r.outcome.role} onChange={(e) => editOutcome(i, { role: e.target.value })}>
                          {ROLES.filter((x) => x === "approver" || x === "admin").map((x) => (
                            <option key={x} value={x}>{x}</option>
                          ))}
                        </Select>
                      </div>
                      <div>
                        <Label htmlFor={`n-${i}`}>Approvers</Label>
                        <Input id={`n-${i}`} type="number" min={1} max={10} value={r.outcome.approvalsNeeded} onChange={(e) => editOutcome(i, { approvalsNeeded: Number(e.target.value) })} />
                      </div>
                      <div>
                        <Label htmlFor={`t-${i}`}>Timeout</Label>
                        <Input id={`t-${i}`} placeholder="24h" value={r.outcome.timeout ?? ""} onChange={(e) => editOutcome(i, { timeout: e.target.value || undefined })} />
                      </div>
                      <div>
                        <Label htmlFor={`e-${i}`}>Escalate after</Label>
                        <Input id={`e-${i}`} placeholder="—" value={r.outcome.escalateAfter ?? ""} onChange={(e) => editOutcome(i, { escalateAfter: e.target.value || undefined, escalateTo: e.target.value ? "admin" : undefined })} />
                      </div>
                      <div>
                        <Label htmlFor={`d-${i}`}>At deadline</Label>
                        <Select id={`d-${i}`} value={r.outcome.onTimeout ?? "reject"} onChange={(e) => editOutcome(i, { onTimeout: e.target.value })}>
                          <option value="reject">reject</option>
                          <option value="approve">approve</option>
                          <option value="fail">fail the run</option>
                        </Select>
                      </div>
                      <label className="col-span-2 flex items-center gap-2 text-sm sm:col-span-2">
                        <input type="checkbox" checked={r.outcome.allowSelfApproval === false} onChange={(e) => editOutcome(i, { allowSelfApproval: e.target.checked ? false : undefined })} />
                        The run&apos;s trigger user may not approve
                      </label>
                      <label className="col-span-2 flex items-center gap-2 text-sm sm:col-span-3">
                        <input type="checkbox" checked={r.outcome.requireComment === true} onChange={(e) => editOutcome(i, { requireComment: e.target.checked || undefined })} />
                        A comment is required
                      </label>
                    </div>
                  ) : null}
                </div>
              ) : (
                <div className="mt-2 space-y-1 pl-8 text-sm">
                  <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs dark:bg-slate-800">{r.condition}</code>
                  <div className="text-slate-500">{outcomeText(r.outcome)}</div>
                </div>
              )}
            </li>
          ))}
        </ol>
        {canManage ? (
          <div className="space-y-3 border-t border-slate-200 px-5 py-4 dark:border-slate-800">
            <div>
              <Label htmlFor="policy-note">Change note</Label>
              <Input id="policy-note" value={note} onChange={(e) => setNote(e.target.value)} placeholder="What changed and why" />
            </div>
            <FieldError message={save.error ? errorMessage(save.error) : null} />
            {save.data?.warnings.length ? (
              <ul className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950/40 dark:text-amber-200" role="status">
                {save.data.warnings.map((w) => <li key={w}>Warning: {w}</li>)}
              </ul>
            ) : null}
            {save.isSuccess && !draft ? <p className="text-sm text-emerald-600" role="status">Saved as version {save.data.version}.</p> : null}
            <div className="flex gap-2">
              <Button disabled={!draft || save.isPending} onClick={() => save.mutate({ rules, note })}>Save as new version</Button>
              {draft ? <Button variant="ghost" onClick={() => setDraft(null)}>Discard changes</Button> : null}
            </div>
          </div>
        ) : null}
      </Card>

      <div className="space-y-6">
        <Card>
          <CardHeader title="Test against a sample request" description="Evaluates the rules shown (including unsaved changes). Nothing is saved." />
          <div className="space-y-3 px-5 py-4">
            <Label htmlFor="policy-sample">Sample request (JSON)</Label>
            <Textarea id="policy-sample" rows={10} className="font-mono text-xs" value={sample} onChange={(e) => setSample(e.target.value)} />
            <FieldError message={sampleError ?? (test.error ? errorMessage(test.error) : null)} />
            <Button variant="secondary" onClick={runTest} disabled={test.isPending}>Test policy</Button>
            {test.data ? (
              <div className="space-y-2 text-sm" data-testid="policy-test-result">
                <div className="flex items-center gap-2">
                  <Badge tone={test.data.outcome.type === "auto_approve" ? "green" : test.data.outcome.type === "deny" ? "red" : "amber"}>{OUTCOME_LABEL[test.data.outcome.type]}</Badge>
                  <span className="font-medium">{test.data.ruleName}</span>
                </div>
                <div className="text-slate-500">{outcomeText(test.data.outcome)}</div>
                {[...test.data.errors, ...test.data.warnings].map((m) => (
                  <p key={m} className="text-xs text-amber-700 dark:text-amber-300">{m}</p>
                ))}
                <JsonView value={test.data.trace} />
              </div>
            ) : null}
          </div>
        </Card>
        <Card>
          <CardHeader title="Variables" />
          <dl className="grid grid-cols-[7rem_1fr] gap-y-1 px-5 py-4 text-xs">
            {Object.entries(current.data?.variables ?? {}).map(([k, v]) => (
              <div key={k} className="contents"><dt className="font-mono">{k}</dt><dd className="text-slate-500">{v}</dd></div>
            ))}
          </dl>
        </Card>
        <Card>
          <CardHeader title="Versions" />
          <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
            {(versions.data ?? []).map((v) => (
              <li key={v.version} className="px-5 py-2.5">
                <div className="flex justify-between"><span className="font-medium">v{v.version}</span><span className="text-xs text-slate-500"><LocalTime date={v.createdAt} /></span></div>
                <div className="text-xs text-slate-500">{v.createdByEmail} · {v.rules} rules{v.note ? ` · ${v.note}` : ""}</div>
              </li>
            ))}
            <li className="px-5 py-2.5 text-xs text-slate-500">v0 · built-in risk routing</li>
          </ul>
        </Card>
      </div>
    </div>
  );
}
