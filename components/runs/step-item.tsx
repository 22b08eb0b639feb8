import type { inferRouterOutputs } from "@trpc/server";
import { Clock, Hourglass, Mail, Play, Send, Workflow as WorkflowIcon } from "lucide-react";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StepSandboxExecutions } from "@/components/sandbox/step-sandbox-executions";
import { cn } from "@/components/ui/cn";
import type { AppRouter } from "@/server/api/root";
import { APPROVAL_SIGNAL_PREFIX } from "@/server/approvals/types";
import { elapsed, formatTime } from "./format";
import { JsonView } from "./json-view";
import { SimulatedBadge, StatusBadge } from "./status-badge";

type Detail = inferRouterOutputs<AppRouter>["runs"]["get"];
export type Step = Detail["steps"][number];

const KIND_ICON: Record<string, React.ComponentType<{ className?: string }>> = {
  run: Play,
  sleep: Clock,
  waitForEvent: Hourglass,
  waitForSignal: Hourglass,
  invoke: WorkflowIcon,
  sendEvent: Send,
};

/** One line about what a step waits for or calls, from what the middleware recorded. */
function describeStep(s: Step): string | null {
  const d = (s.detail ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" && v ? v : null);
  if (s.kind === "sleep")
    return str(d.until) ? `sleeps ${/^\d{4}-/.test(String(d.until)) ? "until " : "for "}${String(d.until)}` : null;
  if (s.kind === "waitForEvent") {
    const parts = [`waits for ${str(d.event) ?? "an event"}`];
    if (str(d.if)) parts.push(`where ${String(d.if)}`);
    if (str(d.timeout)) parts.push(`(timeout ${String(d.timeout)})`);
    return parts.join(" ");
  }
  if (s.kind === "waitForSignal") {
    const signal = str(d.signal);
    const what = signal?.startsWith(APPROVAL_SIGNAL_PREFIX)
      ? "waits for its approval to be decided"
      : `waits for signal ${signal ?? ""}`.trim();
    return str(d.timeout) ? `${what} (timeout ${String(d.timeout)})` : what;
  }
  if (s.kind === "invoke") return str(d.functionId) ? `invokes ${String(d.functionId)}` : null;
  return null;
}

/** One step of the run page: kind, name, status, attempts, timing, and its output or error on demand. */
export function StepItem({ step: s, index, now }: { step: Step; index: number; now: number | null }) {
  const Icon = KIND_ICON[s.kind] ?? Mail;
  const [open, setOpen] = useState(s.status === "failed");
  const about = describeStep(s);
  const timedOut = s.kind === "waitForEvent" && s.status === "completed" && s.output === null;
  const hasBody = s.output !== null || s.error !== null;

  return (
    <li className="px-5 py-3" data-testid={`step-${s.stepId}`}>
      {/* One line where space allows: the name gives way (truncated, full text on hover) so kind
          and badges stay beside it; only a very narrow screen moves the status columns below. */}
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="w-5 shrink-0 text-right text-xs tabular-nums text-slate-400">{index}</span>
        <span
          className={cn(
            "flex h-7 w-7 shrink-0 items-center justify-center rounded-md bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300",
          )}
        >
          <Icon className="h-3.5 w-3.5" />
        </span>
        <div className="min-w-[12rem] flex-1">
          <div className="flex min-w-0 items-center gap-2">
            <span className="truncate font-medium" title={s.name}>
              {s.name}
            </span>
            <span className="shrink-0 font-mono text-xs text-slate-400">{s.kind}</span>
            {s.simulated ? <SimulatedBadge className="shrink-0" /> : null}
            {timedOut ? (
              <Badge tone="amber" className="shrink-0">
                timed out
              </Badge>
            ) : null}
          </div>
          {about ? (
            <div className="mt-0.5 truncate font-mono text-xs text-slate-500" title={about}>
              {about}
            </div>
          ) : null}
        </div>
        <span className="shrink-0">
          <StatusBadge
            status={s.status}
            label={s.status === "waiting" && s.kind === "invoke" ? "waiting for result" : undefined}
          />
        </span>
        <span className="w-20 shrink-0 text-right text-xs tabular-nums text-slate-500">
          {s.attempts > 1 ? `${s.attempts} attempts` : s.attempts === 1 ? "1 attempt" : ""}
        </span>
        <span
          className="w-20 shrink-0 text-right text-xs tabular-nums text-slate-500"
          title={now === null ? undefined : `started ${formatTime(s.startedAt)}`}
        >
          {elapsed(s.startedAt, s.endedAt, now)}
        </span>
        {hasBody ? (
          <Button
            variant="ghost"
            className="w-[3.25rem] shrink-0 px-0 py-1 text-xs"
            aria-expanded={open}
            onClick={() => setOpen((o) => !o)}
          >
            {open ? "Hide" : s.error ? "Error" : "Output"}
          </Button>
        ) : (
          <span className="w-[3.25rem] shrink-0" />
        )}
      </div>
      {s.error && s.status !== "completed" && !open ? (
        <p className="mt-1 pl-[4.25rem] text-xs text-rose-600 dark:text-rose-400">{s.error.message}</p>
      ) : null}
      {open ? (
        <div className="mt-2 space-y-2 pl-[4.25rem]">
          {s.error ? <JsonView tone="error" value={s.error} /> : null}
          {s.output !== null ? <JsonView value={s.output} /> : null}
          <StepSandboxExecutions runId={s.runId} stepId={s.stepId} />
        </div>
      ) : null}
    </li>
  );
}
