import { GitBranch } from "lucide-react";
import Link from "next/link";
import { StatusBadge } from "@/components/runs/status-badge";
import { Card, CardHeader } from "@/components/ui/card";
import { cpKey, type Status, type TreeNode } from "./types";

/** The run's lineage: the runs forked from one another, each with where it forked. */
export function ForkTree({ root, current }: { root: TreeNode; current: string }) {
  const render = (n: TreeNode, depth: number): React.ReactNode => (
    <li key={n.runId}>
      <div className="flex flex-wrap items-center gap-2 py-1" style={{ paddingLeft: depth * 20 }}>
        {depth > 0 ? <GitBranch className="h-3.5 w-3.5 text-slate-400" aria-hidden /> : null}
        {n.runId === current ? (
          <span className="font-mono text-xs font-semibold">{n.runId.slice(0, 14)}… (this run)</span>
        ) : (
          <Link className="font-mono text-xs text-brand-600 hover:underline" href={`/runs/${n.runId}`}>
            {n.runId.slice(0, 14)}…
          </Link>
        )}
        <StatusBadge status={n.status as Status} />
        {n.forkPoint ? (
          <span className="text-xs text-slate-500">
            from {n.forkPoint.checkpoint ? `checkpoint ${cpKey(n.forkPoint.checkpoint)}` : `step ${n.forkPoint.stepId}`}
          </span>
        ) : null}
      </div>
      {n.children.length ? <ul>{n.children.map((c) => render(c, depth + 1))}</ul> : null}
    </li>
  );
  return (
    <Card data-testid="fork-tree">
      <CardHeader
        title="Fork tree"
        description="Runs forked from one another; each reused its parent's results up to the fork point."
      />
      <ul className="px-5 py-3">{render(root, 0)}</ul>
    </Card>
  );
}
