"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { RunCostPanel } from "@/components/governance/run-cost-panel";
import { RecoveryPanels } from "@/components/recovery/recovery-panels";
import { TraceExplorer } from "@/components/tracing/trace-explorer";
import { Card, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { reservedEventName } from "@/server/runs/reserved-names";
import { elapsed, isActive } from "./format";
import { LocalTime, useNow } from "./time";
import { JsonView } from "./json-view";
import { SendEventPanel } from "./send-event-panel";
import { SimulatedBadge, StatusBadge } from "./status-badge";
import { TriggeredBy } from "./triggered-by";
import { useOpenRunForEvent } from "./use-open-run";
import { type Step, StepItem } from "./step-item";

/**
 * Steps waiting in `waitForEvent` for an event the workflow's own code names, with what the
 * middleware recorded about the wait. A gate waits for a signal (`waitForSignal`), never offered
 * here; wflo's and Inngest's reserved names are not offered either (the server refuses them).
 */
function openWaits(steps: Step[]) {
  return steps.flatMap((s) => {
    if (s.kind !== "waitForEvent" || s.status !== "waiting") return [];
    const d = (s.detail ?? {}) as Record<string, unknown>;
    if (typeof d.event !== "string" || !d.event || reservedEventName(d.event)) return [];
    return [
      {
        key: s.hashedId,
        stepName: s.name,
        event: d.event,
        if: typeof d.if === "string" ? d.if : undefined,
        timeout: typeof d.timeout === "string" ? d.timeout : undefined,
      },
    ];
  });
}

export function RunDetail({
  runId,
  canCancel,
  canRerun,
  canSendEvents,
}: {
  runId: string;
  canCancel: boolean;
  canRerun: boolean;
  canSendEvents: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const query = useQuery(
    trpc.runs.get.queryOptions(
      { runId },
      // Poll while the run is alive: works the same on any Inngest server, no push channel needed.
      { refetchInterval: (q) => (q.state.data?.run.terminal ? false : 1000) },
    ),
  );
  const [actionError, setActionError] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ runId }) });
  const cancel = useMutation(
    trpc.runs.cancel.mutationOptions({ onSuccess: refresh, onError: (e) => setActionError(errorMessage(e)) }),
  );
  const opener = useOpenRunForEvent();
  const rerun = useMutation(
    trpc.runs.rerun.mutationOptions({
      onSuccess: (r) => opener.open(r.eventId),
      onError: (e) => setActionError(errorMessage(e)),
    }),
  );
  const now = useNow(Boolean(query.data && !query.data.run.terminal));

  if (query.error) {
    return <EmptyState title="Run not available">{errorMessage(query.error)}</EmptyState>;
  }
  if (!query.data) return <EmptyState title="Loading run…">Fetching the run and its steps.</EmptyState>;
  const { run, steps, simulated } = query.data;
  // Runs started by the SDK, another app or OTLP ingest have no code in this app: re-running,
  // forking or replaying them here cannot work (the server refuses too), so the panel does not offer it.
  const servedHere = query.data.workflow !== null;
  const waits = canSendEvents && !run.terminal ? openWaits(steps) : [];

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <div className="flex flex-wrap items-center gap-2">
            <h1 className="text-xl font-semibold tracking-tight">{run.workflowName}</h1>
            <StatusBadge status={run.status} />
            {simulated ? <SimulatedBadge /> : null}
          </div>
          <p className="mt-1 font-mono text-xs text-slate-500">run {run.id}</p>
        </div>
        <div className="flex items-center gap-2">
          {run.system ? (
            <span className="max-w-xs text-right text-xs text-slate-500">
              A scheduled system run of wflo's own: it runs again on its schedule.
            </span>
          ) : canRerun && !servedHere ? (
            <span className="max-w-xs text-right text-xs text-slate-500">
              Started outside this app (SDK, API or OpenTelemetry): re-run it where it was started.
            </span>
          ) : null}
          {canRerun && servedHere ? (
            <Button
              variant="secondary"
              disabled={rerun.isPending || opener.waiting}
              onClick={() => {
                setActionError(null);
                rerun.mutate({ runId });
              }}
            >
              {rerun.isPending || opener.waiting ? "Starting…" : "Re-run"}
            </Button>
          ) : null}
          {canCancel && !run.terminal ? (
            <Button
              variant="danger"
              disabled={cancel.isPending}
              onClick={() => {
                setActionError(null);
                if (window.confirm("Cancel this run? Steps already running finish; nothing after them runs."))
                  cancel.mutate({ runId });
              }}
            >
              {cancel.isPending ? "Cancelling…" : "Cancel run"}
            </Button>
          ) : null}
        </div>
      </div>

      {actionError || opener.message ? (
        <div
          role="alert"
          className="rounded-md border border-rose-200 bg-rose-50 px-4 py-2 text-sm text-rose-700 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-300"
        >
          {actionError ?? opener.message}
        </div>
      ) : null}

      <Card className="grid grid-cols-2 gap-x-6 gap-y-4 px-5 py-4 text-sm md:grid-cols-3 xl:grid-cols-6">
        <Fact label="Triggered by">
          <TriggeredBy kind={run.triggeredByKind} label={run.triggeredByLabel} />
        </Fact>
        <Fact label="Event">
          <span className="font-mono text-xs">{run.eventName}</span>
        </Fact>
        <Fact label="Started">
          <LocalTime date={run.startedAt} />
        </Fact>
        <Fact label="Duration">
          <span className="tabular-nums">{elapsed(run.startedAt, run.endedAt, now)}</span>
        </Fact>
        <Fact label="Attempts">
          <span className="tabular-nums">{run.attempts}</span>
        </Fact>
        <Fact label="Re-run of">
          {run.rerunOf ? (
            <Link className="font-mono text-xs text-brand-600 hover:underline" href={`/runs/${run.rerunOf}`}>
              {run.rerunOf.slice(0, 12)}…
            </Link>
          ) : (
            "—"
          )}
        </Fact>
      </Card>

      <RunCostPanel runId={runId} live={!run.terminal} />

      {/* minmax(0, 1fr) on narrow screens too: otherwise a long step line widens the column past the page. */}
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-[minmax(0,1fr)_24rem]">
        <Card>
          <CardHeader
            title={`Steps (${steps.length})`}
            description={isActive(run.status) ? "Updates live while the run is active." : undefined}
          />
          {steps.length === 0 ? (
            <p className="px-5 py-8 text-center text-sm text-slate-500">
              {isActive(run.status) ? "Waiting for the first step…" : "This run recorded no steps."}
            </p>
          ) : (
            <ol className="divide-y divide-slate-100 dark:divide-slate-800">
              {steps.map((s, i) => (
                <StepItem key={s.hashedId} step={s} index={i + 1} now={now} />
              ))}
            </ol>
          )}
        </Card>
        <div className="space-y-6">
          {waits.map(({ key, ...wait }) => (
            <SendEventPanel key={key} runId={runId} wait={wait} triggerInput={run.input} onSent={refresh} />
          ))}
          <Card>
            <CardHeader title="Input" />
            <div className="px-5 py-4">
              <JsonView value={run.input} />
            </div>
          </Card>
          <RecoveryPanels
            runId={runId}
            live={!run.terminal}
            canFork={canRerun && servedHere}
            canRollback={canCancel && servedHere}
          />
          <Card>
            <CardHeader
              title={run.status === "failed" ? "Error" : "Output"}
              action={simulated && run.output ? <SimulatedBadge /> : undefined}
            />
            <div className="px-5 py-4">
              {run.error ? (
                <JsonView tone="error" value={run.error} />
              ) : run.status === "completed" ? (
                <JsonView value={run.output} />
              ) : (
                <p className="text-sm text-slate-500">
                  {run.status === "cancelled" ? "Cancelled before it finished." : "Appears when the run finishes."}
                </p>
              )}
            </div>
          </Card>
        </div>
      </div>

      <TraceExplorer runId={runId} />
    </div>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</div>
      <div className="mt-1 truncate">{children}</div>
    </div>
  );
}
