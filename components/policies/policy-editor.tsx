"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage } from "@/components/trpc/errors";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Input, Label } from "@/components/ui/form";
import type { PolicyRule } from "@/server/policies/schemas";
import type { Outcome } from "./outcomes";
import { PolicyTestBox } from "./policy-test-box";
import { PolicyVariables, PolicyVersions } from "./policy-versions";
import { RuleItem } from "./rule-item";

function newRule(n: number): PolicyRule {
  return {
    id: `rule-${n}`,
    name: "New rule",
    condition: 'risk == "high" && amountUsd > 1000.0',
    outcome: { type: "require_approval", role: "approver", approvalsNeeded: 1 },
  };
}

/** Ordered rules, edited as a draft; saving writes a new version. The test box evaluates the draft. */
export function PolicyEditor({ canManage }: { canManage: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const current = useQuery(trpc.policies.current.queryOptions());
  const [draft, setDraft] = useState<PolicyRule[] | null>(null);
  const [note, setNote] = useState("");
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
  const edit = (i: number, patch: Partial<PolicyRule>) =>
    setDraft(rules.map((r, j) => (j === i ? { ...r, ...patch } : r)));
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

  return (
    <div className="grid gap-6 xl:grid-cols-[1fr_26rem]">
      <Card className="self-start">
        <CardHeader
          title={
            current.data
              ? `Version ${current.data.version}${current.data.builtIn ? " (built-in risk routing)" : ""}${draft ? " · unsaved changes" : ""}`
              : "Rules"
          }
          description="Evaluated top to bottom; the first rule whose condition is true decides. No match: an approver decides."
          action={
            canManage ? (
              <Button
                variant="secondary"
                className="whitespace-nowrap"
                onClick={() => setDraft([...rules, newRule(rules.length + 1)])}
              >
                Add rule
              </Button>
            ) : null
          }
        />
        <ol className="divide-y divide-slate-100 dark:divide-slate-800">
          {rules.map((r, i) => (
            <RuleItem
              // biome-ignore lint/suspicious/noArrayIndexKey: the rule id is an editable field, so the position is what stays put while typing.
              key={i}
              r={r}
              i={i}
              count={rules.length}
              canManage={canManage}
              edit={(patch) => edit(i, patch)}
              editOutcome={(patch) => editOutcome(i, patch)}
              onMove={(by) => move(i, by)}
              onRemove={() => setDraft(rules.filter((_, j) => j !== i))}
            />
          ))}
        </ol>
        {canManage ? (
          <div className="space-y-3 border-t border-slate-200 px-5 py-4 dark:border-slate-800">
            <div>
              <Label htmlFor="policy-note">Change note</Label>
              <Input
                id="policy-note"
                value={note}
                onChange={(e) => setNote(e.target.value)}
                placeholder="What changed and why"
              />
            </div>
            <FieldError message={save.error ? errorMessage(save.error) : null} />
            {save.data?.warnings.length ? (
              <ul
                className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
                role="status"
              >
                {save.data.warnings.map((w) => (
                  <li key={w}>Warning: {w}</li>
                ))}
              </ul>
            ) : null}
            {save.isSuccess && !draft ? (
              <p className="text-sm text-emerald-600" role="status">
                Saved as version {save.data.version}.
              </p>
            ) : null}
            <div className="flex gap-2">
              <Button disabled={!draft || save.isPending} onClick={() => save.mutate({ rules, note })}>
                Save as new version
              </Button>
              {draft ? (
                <Button variant="ghost" onClick={() => setDraft(null)}>
                  Discard changes
                </Button>
              ) : null}
            </div>
          </div>
        ) : null}
      </Card>

      <div className="space-y-6">
        <PolicyTestBox rules={rules} />
        <PolicyVariables variables={current.data?.variables} />
        <PolicyVersions />
      </div>
    </div>
  );
}
