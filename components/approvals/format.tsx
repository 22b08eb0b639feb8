import { Badge, type Tone } from "@/components/ui/badge";
import type { ApprovalStatus, RiskLevel } from "@/db/schema/approvals";

const RISK_TONE: Record<RiskLevel, Tone> = { low: "green", medium: "blue", high: "amber", critical: "red" };
export function RiskBadge({ risk }: { risk: RiskLevel }) {
  return <Badge tone={RISK_TONE[risk]} className="whitespace-nowrap">{risk} risk</Badge>;
}

const STATUS: Record<ApprovalStatus, { tone: Tone; label: string }> = {
  pending: { tone: "amber", label: "pending" },
  approved: { tone: "green", label: "approved" },
  auto_approved: { tone: "green", label: "auto-approved" },
  rejected: { tone: "red", label: "rejected" },
  denied: { tone: "red", label: "denied by policy" },
  expired: { tone: "slate", label: "expired" },
  cancelled: { tone: "slate", label: "cancelled" },
};
export function ApprovalStatusBadge({ status }: { status: ApprovalStatus }) {
  const s = STATUS[status];
  return (
    <span data-testid="approval-status">
      <Badge tone={s.tone} className="whitespace-nowrap">{s.label}</Badge>
    </span>
  );
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
