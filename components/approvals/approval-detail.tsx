"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { LocalTime, useNow } from "@/components/runs/time";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { FieldError, Label, Textarea } from "@/components/ui/form";
import { ApprovalDecisions } from "./approval-decisions";
import { ApprovalSummary } from "./approval-summary";
import { timeLeft } from "./format";
import { DiffView } from "./diff-view";

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function parsePayload(text: string): { value?: Record<string, unknown>; error?: string } {
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? { value: v } : { error: "payload must be a JSON object" };
  } catch (e) {
    return { error: `payload is not valid JSON: ${(e as Error).message}` };
  }
}

/** One approval: what will happen, the payload and proposed change, the policy that asked, and the decision form. */
export function ApprovalDetail({ approvalId, canDecide }: { approvalId: string; canDecide: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data, error } = useQuery({
    ...trpc.approvals.get.queryOptions({ approvalId }),
    refetchInterval: (q) => (q.state.data?.approval.status === "pending" ? 3_000 : false),
  });
  const now = useNow(true);
  const [comment, setComment] = useState("");
  const [editing, setEditing] = useState(false);
  const [payloadText, setPayloadText] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({
      onSuccess: () => {
        setComment("");
        setEditing(false);
        void qc.invalidateQueries({ queryKey: trpc.approvals.get.queryKey({ approvalId }) });
        void qc.invalidateQueries({ queryKey: trpc.approvals.pendingCount.queryKey() });
      },
    }),
  );

  if (error)
    return (
      <Card className="px-5 py-6 text-sm text-rose-600" role="alert">
        {errorMessage(error)}
      </Card>
    );
  if (!data) return <Card className="px-5 py-6 text-sm text-slate-500">Loading…</Card>;
  const a = data.approval;
  const { diff, ...details } = a.details;
  const diffPair =
    isRecord(diff) && isRecord(diff.before) && isRecord(diff.after) ? { before: diff.before, after: diff.after } : null;
  const pending = a.status === "pending";
  const left = timeLeft(a.deadlineAt, now);
  const blockedReason = !a.viewer.roleAllows
    ? `Deciding needs the ${a.deciderRole} role or higher.`
    : data.alreadyVoted
      ? `You already decided; ${a.approvalsNeeded - a.approvalsCount} more approval${a.approvalsNeeded - a.approvalsCount === 1 ? "" : "s"} needed from others.`
      : null;

  const submit = (decision: "approve" | "reject") => {
    setLocalError(null);
    let payload: Record<string, unknown> | undefined;
    if (editing && decision === "approve") {
      const p = parsePayload(payloadText);
      if (p.error) return setLocalError(p.error);
      payload = p.value;
    }
    decide.mutate({ approvalId, decision, comment: comment || undefined, payload });
  };

  return (
    <div className="grid gap-6 xl:grid-cols-[1fr_24rem]">
      <div className="space-y-6">
        <ApprovalSummary a={a} />

        {diffPair ? (
          <Card>
            <CardHeader title="Proposed change" description="What the step will change, as it reported it." />
            <div className="px-5 py-3">
              <DiffView before={diffPair.before} after={diffPair.after} />
            </div>
          </Card>
        ) : null}

        <Card>
          <CardHeader
            title={a.editedPayload ? "Payload (edited by an approver)" : "Payload"}
            description={
              a.allowEdit
                ? "The data the step will act on. Approvers may narrow it before approving; the gate's schema checks the edit."
                : "The data the step will act on."
            }
            action={
              pending && canDecide && a.allowEdit && a.viewer.roleAllows && !editing ? (
                <Button
                  variant="secondary"
                  onClick={() => {
                    setPayloadText(JSON.stringify(a.editedPayload ?? a.payload, null, 2));
                    setEditing(true);
                  }}
                >
                  Edit payload
                </Button>
              ) : null
            }
          />
          <div className="px-5 py-4">
            {editing ? (
              <>
                <Label htmlFor="payload-editor">Payload to approve (JSON)</Label>
                <Textarea
                  id="payload-editor"
                  rows={8}
                  className="font-mono text-xs"
                  value={payloadText}
                  onChange={(e) => setPayloadText(e.target.value)}
                />
                <p className="mt-1 text-xs text-slate-500">
                  Approving sends this payload to the step.{" "}
                  <button type="button" className="text-brand-600 hover:underline" onClick={() => setEditing(false)}>
                    Discard edit
                  </button>
                </p>
              </>
            ) : (
              <JsonView value={a.editedPayload ?? a.payload} />
            )}
          </div>
        </Card>

        {Object.keys(details).length ? (
          <Card>
            <CardHeader title="Details" />
            <div className="px-5 py-4">
              <JsonView value={details} />
            </div>
          </Card>
        ) : null}
      </div>

      <div className="space-y-6">
        <Card>
          <CardHeader title={pending ? "Decision" : "Outcome"} />
          <dl className="grid grid-cols-2 gap-y-2 px-5 py-4 text-sm">
            <dt className="text-slate-500">Who may decide</dt>
            <dd>{a.deciderRole} or higher</dd>
            <dt className="text-slate-500">Approvals</dt>
            <dd className="tabular-nums" data-testid="approval-count">
              {a.approvalsCount} of {a.approvalsNeeded}
            </dd>
            <dt className="text-slate-500">Requested</dt>
            <dd>
              <LocalTime date={a.createdAt} />
            </dd>
            <dt className="text-slate-500">Deadline</dt>
            <dd>
              <LocalTime date={a.deadlineAt} />
              {pending ? (
                <div className={left.urgent ? "text-xs font-medium text-rose-600" : "text-xs text-slate-500"}>
                  {left.text}, then {a.onTimeout}
                </div>
              ) : null}
            </dd>
            {a.escalateAt ? (
              <>
                <dt className="text-slate-500">Escalation</dt>
                <dd>
                  {a.escalatedAt ? "escalated" : <LocalTime date={a.escalateAt} />}
                  {a.escalateTo?.role ? ` → ${a.escalateTo.role}` : ""}
                </dd>
              </>
            ) : null}
            <dt className="text-slate-500">Policy</dt>
            <dd>
              <span className="font-mono text-xs">
                v{a.policyVersion}
                {a.policyRule ? ` · ${a.policyRule}` : ""}
              </span>
              <div className="text-xs text-slate-500">{a.policyReason}</div>
            </dd>
            {!a.allowSelfApproval ? (
              <>
                <dt className="text-slate-500">Self-approval</dt>
                <dd>not allowed</dd>
              </>
            ) : null}
          </dl>
          {!pending ? (
            <div
              className="border-t border-slate-200 px-5 py-4 text-sm dark:border-slate-800"
              data-testid="approval-outcome"
            >
              <div>
                <span className="font-medium">{a.decidedByEmail ?? "—"}</span>
                {a.decidedAt ? (
                  <>
                    {" "}
                    · <LocalTime date={a.decidedAt} />
                  </>
                ) : null}
              </div>
              {a.decisionComment ? (
                <p className="mt-1 text-slate-600 dark:text-slate-300">“{a.decisionComment}”</p>
              ) : null}
            </div>
          ) : canDecide ? (
            <form
              className="space-y-3 border-t border-slate-200 px-5 py-4 dark:border-slate-800"
              onSubmit={(e) => e.preventDefault()}
            >
              {a.viewer.selfApprovalBlocked ? (
                <p className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-800 dark:bg-amber-950/40 dark:text-amber-200">
                  You started this run; another approver must approve it. You can still reject.
                </p>
              ) : null}
              {blockedReason ? <p className="text-sm text-slate-500">{blockedReason}</p> : null}
              <div>
                <Label htmlFor="decision-comment">Comment{a.requireComment ? " (required)" : ""}</Label>
                <Textarea
                  id="decision-comment"
                  rows={3}
                  value={comment}
                  onChange={(e) => setComment(e.target.value)}
                  placeholder="Why you decided this way"
                />
              </div>
              <FieldError message={localError ?? (decide.error ? errorMessage(decide.error) : null)} />
              <div className="flex gap-2">
                <Button type="button" disabled={decide.isPending} onClick={() => submit("approve")}>
                  Approve
                </Button>
                <Button type="button" variant="danger" disabled={decide.isPending} onClick={() => submit("reject")}>
                  Reject
                </Button>
              </div>
            </form>
          ) : (
            <p
              className="border-t border-slate-200 px-5 py-4 text-sm text-slate-500 dark:border-slate-800"
              data-testid="read-only-note"
            >
              You can follow this approval; deciding needs the approver role.
            </p>
          )}
        </Card>

        <ApprovalDecisions decisions={data.decisions} />
      </div>
    </div>
  );
}
