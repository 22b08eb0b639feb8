import { Bot, CircleDot, Cpu, Flag, Hand, Play, Wrench } from "lucide-react";
import type { Tone } from "@/components/ui/badge";
import type { TraceSpan } from "@/server/tracing/types";

/** How each span kind and status looks in the trace explorer: icon, waterfall bar, badge tone. */
export const KINDS: TraceSpan["kind"][] = ["run", "step", "llm", "tool", "sandbox", "approval", "checkpoint", "span"];
export const KIND_ICON: Record<TraceSpan["kind"], React.ComponentType<{ className?: string }>> = {
  run: Play,
  step: CircleDot,
  llm: Bot,
  tool: Wrench,
  sandbox: Cpu,
  approval: Hand,
  checkpoint: Flag,
  span: CircleDot,
};
/** Bar colours by kind; an error span is always red so failures stand out in the waterfall. */
export const KIND_BAR: Record<TraceSpan["kind"], string> = {
  run: "bg-slate-400 dark:bg-slate-500",
  step: "bg-brand-500",
  llm: "bg-violet-500",
  tool: "bg-amber-500",
  sandbox: "bg-teal-500",
  approval: "bg-orange-500",
  checkpoint: "bg-sky-500",
  span: "bg-slate-500",
};
export const STATUS_TONE: Record<TraceSpan["status"], Tone> = {
  ok: "green",
  error: "red",
  running: "blue",
  unset: "slate",
};
