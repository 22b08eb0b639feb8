import type { RunTriggerKind } from "@/db/schema/runs";

const EXPLAIN: Partial<Record<RunTriggerKind, string>> = {
  event_key:
    "No wflo-signed envelope named a person: the run is attributed to the event key that sent its event, and held to global, workflow and tag budgets only.",
  unsigned:
    "The Inngest server delivered an event without a valid wflo signature and wflo cannot tell which key sent it.",
  schedule: "Started by the workflow's cron schedule.",
};

/**
 * Who a run is held to, as the server labels it (server/runs/attribution.ts `triggerLabel`). A
 * person reads plainly; an event key, a schedule or an unsigned event is muted and explained,
 * so it is never taken for someone's action.
 */
export function TriggeredBy({ kind, label }: { kind: RunTriggerKind | null; label: string | null }) {
  if (kind === "user" || (kind === null && label)) return <span data-testid="run-triggered-by">{label}</span>;
  return (
    <span
      data-testid="run-triggered-by"
      data-kind={kind ?? "event"}
      className="text-slate-500 dark:text-slate-400"
      title={kind ? EXPLAIN[kind] : undefined}
    >
      {label ?? "an event"}
    </span>
  );
}
