"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import type { Policy } from "./sandbox-policy-model";
import { PolicyView } from "./sandbox-policy-view";
import { PolicyForm } from "./sandbox-policy-form";

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
