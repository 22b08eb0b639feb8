import { useQuery } from "@tanstack/react-query";
import { History } from "lucide-react";
import { useState } from "react";
import { JsonView } from "@/components/runs/json-view";
import { StatusBadge } from "@/components/runs/status-badge";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import type { ForkFrom, Status } from "./types";

/** Steps through the run: what the workflow knew after each step; a completed step can be forked from. */
export function TimeTravel({
  runId,
  live,
  canFork,
  onFork,
}: {
  runId: string;
  live: boolean;
  canFork: boolean;
  onFork: (f: ForkFrom) => void;
}) {
  const trpc = useTRPC();
  const timeline = useQuery(trpc.recovery.timeline.queryOptions({ runId }, { refetchInterval: live ? 2000 : false }));
  const [at, setAt] = useState<number | null>(null);
  const steps = timeline.data ?? [];
  if (steps.length === 0) return null;
  const i = Math.min(at ?? steps.length - 1, steps.length - 1);
  const s = steps[i]!;
  return (
    <Card data-testid="time-travel">
      <CardHeader
        title="Time travel"
        description="Step through the run and see what the workflow knew after each step."
      />
      <div className="space-y-3 px-5 py-4">
        <div className="flex items-center gap-2">
          <Button variant="secondary" disabled={i === 0} onClick={() => setAt(i - 1)} aria-label="Previous step">
            ‹
          </Button>
          <input
            aria-label="Step"
            type="range"
            min={0}
            max={steps.length - 1}
            value={i}
            onChange={(e) => setAt(Number(e.target.value))}
            className="flex-1"
          />
          <Button
            variant="secondary"
            disabled={i === steps.length - 1}
            onClick={() => setAt(i + 1)}
            aria-label="Next step"
          >
            ›
          </Button>
        </div>
        <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
          <span className="flex items-center gap-2">
            <History className="h-4 w-4 text-slate-400" aria-hidden />
            <span className="tabular-nums text-slate-500">
              {i + 1}/{steps.length}
            </span>
            <span className="font-mono" data-testid="time-travel-step">
              {s.stepId}
            </span>
            <StatusBadge status={s.status as Status} />
          </span>
          {canFork && s.status === "completed" ? (
            <Button
              variant="secondary"
              onClick={() => onFork({ kind: "step", position: s.position, stepId: s.stepId })}
            >
              Fork from this step
            </Button>
          ) : null}
        </div>
        <JsonView value={s.state} />
      </div>
    </Card>
  );
}
