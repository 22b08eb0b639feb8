import { StatusPill, type StatusLooks } from "@/components/ui/status-badge";
import type { ApprovalStatus, RiskLevel } from "@/db/schema/approvals";

const RISK: StatusLooks<RiskLevel> = {
  low: ["green", "low risk"],
  medium: ["blue", "medium risk"],
  high: ["amber", "high risk"],
  critical: ["red", "critical risk"],
};
export function RiskBadge({ risk }: { risk: RiskLevel }) {
  return <StatusPill status={risk} looks={RISK} />;
}

const STATUS: StatusLooks<ApprovalStatus> = {
  pending: "amber",
  approved: "green",
  auto_approved: ["green", "auto-approved"],
  rejected: "red",
  denied: ["red", "denied by policy"],
  expired: "slate",
  cancelled: "slate",
};
export function ApprovalStatusBadge({ status }: { status: ApprovalStatus }) {
  return <StatusPill status={status} looks={STATUS} testId="approval-status" />;
}

/** "4m", "2h 05m", "3d 2h": compact, for queue columns. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function timeLeft(deadline: Date, now: number | null): { text: string; urgent: boolean } {
  if (now === null) return { text: "", urgent: false };
  const ms = deadline.getTime() - now;
  if (ms <= 0) return { text: "overdue", urgent: true };
  return { text: `${shortDuration(ms)} left`, urgent: ms < 10 * 60_000 };
}
