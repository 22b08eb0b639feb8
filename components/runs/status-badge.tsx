import type { RunStatus } from "@/db/schema/runs";
import { Badge, type Tone } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";

const LOOK: Record<RunStatus, { tone: Tone; label: string }> = {
  queued: { tone: "slate", label: "queued" },
  running: { tone: "blue", label: "running" },
  sleeping: { tone: "violet", label: "sleeping" },
  waiting: { tone: "amber", label: "waiting for event" },
  completed: { tone: "green", label: "completed" },
  failed: { tone: "red", label: "failed" },
  cancelled: { tone: "slate", label: "cancelled" },
};

const LIVE: readonly RunStatus[] = ["running", "sleeping", "waiting", "queued"];

export function StatusBadge({ status, label }: { status: RunStatus; label?: string }) {
  const look = LOOK[status];
  return (
    <Badge tone={look.tone} className="gap-1.5 whitespace-nowrap">
      <span
        aria-hidden
        className={cn("h-1.5 w-1.5 rounded-full bg-current", LIVE.includes(status) && "animate-pulse", status === "cancelled" && "opacity-50")}
      />
      <span data-testid="run-status">{label ?? look.label}</span>
    </Badge>
  );
}

/** The visible mark on anything a simulated LLM produced. */
export function SimulatedBadge({ className }: { className?: string }) {
  return (
    <Badge tone="violet" className={cn("uppercase tracking-wide", className)}>
      <span title="Produced by wflo's simulated LLM provider, not a real model. Configure a provider key to use a real model.">simulated</span>
    </Badge>
  );
}
