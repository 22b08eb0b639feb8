"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { CheckpointsCard } from "./checkpoints-card";
import { ForkForm } from "./fork-form";
import { ForkTree } from "./fork-tree";
import { ReplayCard } from "./replay-card";
import { RollbackCard } from "./rollback-card";
import { TimeTravel } from "./time-travel";
import type { ForkFrom } from "./types";

/**
 * The run page's recovery panels: lineage (fork tree), checkpoints with their state and a diff
 * of two versions, time travel through the steps, forking from a checkpoint or step, and
 * rolling the run back through its steps' compensations.
 */
export function RecoveryPanels({
  runId,
  live,
  canFork,
  canRollback = false,
}: {
  runId: string;
  live: boolean;
  canFork: boolean;
  canRollback?: boolean;
}) {
  const trpc = useTRPC();
  const poll = { refetchInterval: live ? 2000 : (false as const) };
  const checkpoints = useQuery(trpc.recovery.checkpoints.queryOptions({ runId }, poll));
  const info = useQuery(trpc.recovery.info.queryOptions({ runId }));
  const tree = useQuery(trpc.recovery.tree.queryOptions({ runId }, poll));
  const [forkFrom, setForkFrom] = useState<ForkFrom | null>(null);
  const qc = useQueryClient();
  // Polling stops when the run ends; one more read picks up what its last request saved.
  useEffect(() => {
    if (!live) void qc.invalidateQueries({ queryKey: trpc.recovery.pathKey() });
  }, [live, qc, trpc]);

  return (
    <div className="space-y-6" data-testid="recovery-panels">
      {info.data?.resumedWithChangedDefinition || info.data?.definitionChangedSince ? (
        <div
          role="status"
          className="rounded-md border border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-800 dark:border-amber-900 dark:bg-amber-950/40 dark:text-amber-300"
        >
          {info.data.resumedWithChangedDefinition
            ? "This run was resumed by a changed workflow definition: its later steps ran different code than its earlier ones."
            : "The workflow's definition has changed since this run started: a fork or replay runs today's code against its records."}
        </div>
      ) : null}
      {tree.data && (tree.data.root.children.length > 0 || info.data?.parent) ? (
        <ForkTree root={tree.data.root} current={runId} />
      ) : null}
      <RollbackCard runId={runId} live={live} canRollback={canRollback} />
      <CheckpointsCard items={checkpoints.data ?? []} runId={runId} canFork={canFork} onFork={setForkFrom} />
      <TimeTravel runId={runId} live={live} canFork={canFork} onFork={setForkFrom} />
      {canFork && !live ? <ReplayCard runId={runId} /> : null}
      {forkFrom ? <ForkForm runId={runId} from={forkFrom} onClose={() => setForkFrom(null)} /> : null}
    </div>
  );
}
