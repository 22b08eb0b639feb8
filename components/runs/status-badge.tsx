import type { RunStatus } from "@/db/schema/runs";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { StatusPill, type StatusLooks } from "@/components/ui/status-badge";

const LOOKS: StatusLooks<RunStatus> = {
  queued: "slate",
  running: "blue",
  sleeping: "violet",
  waiting: ["amber", "waiting for event"],
  completed: "green",
  failed: "red",
  cancelled: "slate",
};

const LIVE: readonly RunStatus[] = ["running", "sleeping", "waiting", "queued"];

export function StatusBadge({ status, label }: { status: RunStatus; label?: string }) {
  const dot = LIVE.includes(status) ? "pulse" : status === "cancelled" ? "dim" : "solid";
  return <StatusPill status={status} looks={LOOKS} label={label} testId="run-status" dot={dot} />;
}

/** The visible mark on anything a simulated LLM produced. */
export function SimulatedBadge({ className }: { className?: string }) {
  return (
    <Badge tone="violet" className={cn("uppercase tracking-wide", className)}>
      <span title="Produced by wflo's simulated LLM provider, not a real model. Configure a provider key to use a real model.">
        simulated
      </span>
    </Badge>
  );
}
