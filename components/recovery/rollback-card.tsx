import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

const COMPENSATION_TONE: Record<string, string> = {
  compensated: "text-emerald-700 dark:text-emerald-400",
  failed: "text-rose-600",
  skipped: "text-amber-700 dark:text-amber-300",
  pending: "text-zinc-500",
};

/**
 * Compensation: the steps this run can undo (newest first, the order a rollback runs them),
 * the rollback's outcome, and "Roll back run". A partly rolled back run is flagged as needing a
 * person, with the compensation that kept failing and its error.
 */
export function RollbackCard({ runId, live, canRollback }: { runId: string; live: boolean; canRollback: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(
    trpc.recovery.rollbackStatus.queryOptions(
      { runId },
      { refetchInterval: (q) => (live || q.state.data?.rollback?.status === "running" ? 2000 : false) },
    ),
  );
  const rollback = useMutation(
    trpc.recovery.rollback.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.recovery.rollbackStatus.queryKey({ runId }) }),
    }),
  );
  const s = status.data;
  if (!s || (s.compensations.length === 0 && !s.rollback)) return null;
  const open = s.compensations.some((c) => c.status !== "compensated");
  const running = s.rollback?.status === "running";
  const label = !s.rollback
    ? null
    : running
      ? "Rolling back…"
      : s.rollback.status === "rolled_back"
        ? "Rolled back"
        : "Partly rolled back — needs attention";
  return (
    <Card data-testid="rollback">
      <CardHeader
        title="Compensation"
        description="Steps that declared how to undo themselves. Rolling back runs their compensations newest first, each as a durable, retried step."
        action={
          canRollback && !live && open && !running ? (
            <Button variant="secondary" disabled={rollback.isPending} onClick={() => rollback.mutate({ runId })}>
              {rollback.isPending ? "Starting…" : s.rollback ? "Retry rollback" : "Roll back run"}
            </Button>
          ) : undefined
        }
      />
      {label ? (
        <p
          role="status"
          data-testid="rollback-status"
          className={cn(
            "px-5 pt-3 text-sm font-medium",
            s.needsAttention ? "text-rose-600" : running ? "text-zinc-500" : "text-emerald-700 dark:text-emerald-400",
          )}
        >
          {label}
          <span className="font-normal text-zinc-500">
            {" "}
            ·{" "}
            {s.rollback?.reason === "automatic"
              ? "automatic, on failure"
              : `by ${s.rollback?.requestedByEmail ?? "an operator"}`}
          </span>
        </p>
      ) : null}
      {s.needsAttention && s.rollback?.failedStepId ? (
        <p role="alert" className="px-5 pt-1 text-sm text-rose-600">
          The compensation of “{s.rollback.failedStepId}” kept failing: {s.rollback.error?.message ?? "unknown error"}.
          Earlier steps were left as they are; fix the cause, then retry.
        </p>
      ) : null}
      {rollback.error ? (
        <p role="alert" className="px-5 pt-2 text-sm text-rose-600">
          {errorMessage(rollback.error)}
        </p>
      ) : null}
      <ol className="divide-y divide-zinc-100 px-5 py-2 text-sm dark:divide-zinc-800">
        {s.compensations.map((c) => (
          <li key={c.stepId} className="flex items-baseline justify-between gap-4 py-1.5">
            <span className="font-mono">{c.stepId}</span>
            <span className={COMPENSATION_TONE[c.status] ?? ""}>
              {c.status}
              {c.attempts > 1 ? ` after ${c.attempts} attempts` : ""}
              {c.status === "failed" && c.error ? `: ${c.error.message}` : ""}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
