import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input, Label, Select } from "@/components/ui/form";
import { ROLES } from "@/db/schema/auth";
import type { PolicyRule } from "@/server/policies/schemas";
import { OUTCOME_LABEL, type Outcome, outcomeText, outcomeTone } from "./outcomes";

type RuleItemProps = {
  r: PolicyRule;
  /** Position in the list (0-based); the rule's number is i + 1. */
  i: number;
  count: number;
  canManage: boolean;
  edit: (patch: Partial<PolicyRule>) => void;
  editOutcome: (patch: Record<string, unknown>) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
};

/** One policy rule: read-only, or its editable fields (name, CEL condition, outcome and its options). */
export function RuleItem({ r, i, count, canManage, edit, editOutcome, onMove, onRemove }: RuleItemProps) {
  return (
    <li className="px-5 py-4" data-testid={`policy-rule-${r.id}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="grid h-6 w-6 place-items-center rounded-full bg-slate-100 text-xs font-semibold tabular-nums dark:bg-slate-800">
          {i + 1}
        </span>
        {canManage ? (
          <Input
            aria-label={`Name of rule ${i + 1}`}
            className="max-w-sm flex-1"
            value={r.name}
            onChange={(e) => edit({ name: e.target.value })}
          />
        ) : (
          <span className="font-medium">{r.name}</span>
        )}
        <Badge tone={outcomeTone(r.outcome.type)}>{OUTCOME_LABEL[r.outcome.type]}</Badge>
        <span className="font-mono text-xs text-slate-400">{r.id}</span>
        {canManage ? (
          <span className="ml-auto flex gap-1">
            <Button variant="ghost" aria-label={`Move rule ${i + 1} up`} disabled={i === 0} onClick={() => onMove(-1)}>
              ↑
            </Button>
            <Button
              variant="ghost"
              aria-label={`Move rule ${i + 1} down`}
              disabled={i === count - 1}
              onClick={() => onMove(1)}
            >
              ↓
            </Button>
            <Button variant="ghost" aria-label={`Remove rule ${i + 1}`} onClick={onRemove}>
              ✕
            </Button>
          </span>
        ) : null}
      </div>
      {canManage ? (
        <div className="mt-3 grid gap-3 sm:grid-cols-[1fr_12rem]">
          <div>
            <Label htmlFor={`cond-${i}`}>Condition (CEL)</Label>
            <Input
              id={`cond-${i}`}
              className="font-mono text-xs"
              value={r.condition}
              onChange={(e) => edit({ condition: e.target.value })}
            />
          </div>
          <div>
            <Label htmlFor={`outcome-${i}`}>Outcome</Label>
            <Select
              id={`outcome-${i}`}
              value={r.outcome.type}
              onChange={(e) => {
                const t = e.target.value as Outcome["type"];
                edit({
                  outcome:
                    t === "require_approval"
                      ? { type: t, role: "approver", approvalsNeeded: 1 }
                      : t === "deny"
                        ? { type: t, reason: "" }
                        : { type: t },
                });
              }}
            >
              {Object.entries(OUTCOME_LABEL).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </Select>
          </div>
          {r.outcome.type === "require_approval" ? (
            <div className="grid grid-cols-2 gap-3 sm:col-span-2 sm:grid-cols-[8.5rem_6rem_1fr_1fr_1fr]">
              <div>
                <Label htmlFor={`role-${i}`}>Role</Label>
                <Select id={`role-${i}`} value={r.outcome.role} onChange={(e) => editOutcome({ role: e.target.value })}>
                  {ROLES.filter((x) => x === "approver" || x === "admin").map((x) => (
                    <option key={x} value={x}>
                      {x}
                    </option>
                  ))}
                </Select>
              </div>
              <div>
                <Label htmlFor={`n-${i}`}>Approvers</Label>
                <Input
                  id={`n-${i}`}
                  type="number"
                  min={1}
                  max={10}
                  value={r.outcome.approvalsNeeded}
                  onChange={(e) => editOutcome({ approvalsNeeded: Number(e.target.value) })}
                />
              </div>
              <div>
                <Label htmlFor={`t-${i}`}>Timeout</Label>
                <Input
                  id={`t-${i}`}
                  placeholder="24h"
                  value={r.outcome.timeout ?? ""}
                  onChange={(e) => editOutcome({ timeout: e.target.value || undefined })}
                />
              </div>
              <div>
                <Label htmlFor={`e-${i}`}>Escalate after</Label>
                <Input
                  id={`e-${i}`}
                  placeholder="—"
                  value={r.outcome.escalateAfter ?? ""}
                  onChange={(e) =>
                    editOutcome({
                      escalateAfter: e.target.value || undefined,
                      escalateTo: e.target.value ? "admin" : undefined,
                    })
                  }
                />
              </div>
              <div>
                <Label htmlFor={`d-${i}`}>At deadline</Label>
                <Select
                  id={`d-${i}`}
                  value={r.outcome.onTimeout ?? "reject"}
                  onChange={(e) => editOutcome({ onTimeout: e.target.value })}
                >
                  <option value="reject">reject</option>
                  <option value="approve">approve</option>
                  <option value="fail">fail the run</option>
                </Select>
              </div>
              <label className="col-span-2 flex items-center gap-2 text-sm sm:col-span-2">
                <input
                  type="checkbox"
                  checked={r.outcome.allowSelfApproval === false}
                  onChange={(e) => editOutcome({ allowSelfApproval: e.target.checked ? false : undefined })}
                />
                The run&apos;s trigger user may not approve
              </label>
              <label className="col-span-2 flex items-center gap-2 text-sm sm:col-span-3">
                <input
                  type="checkbox"
                  checked={r.outcome.requireComment === true}
                  onChange={(e) => editOutcome({ requireComment: e.target.checked || undefined })}
                />
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
  );
}
