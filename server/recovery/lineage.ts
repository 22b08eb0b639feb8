/** A run's lineage and history: the fork tree it belongs to, its recovery facts, and the step-by-step timeline. */

import { asc, eq, inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runFingerprints, runLinks, runs, runSteps, stateSnapshots } from "@/db/schema";
import { currentFingerprint } from "./fingerprint";
import { loadRun } from "./service";

export type TreeNode = {
  runId: string;
  status: string;
  startedAt: Date;
  forkPoint: { stepId: string; checkpoint?: { name: string; version: number } } | null;
  children: TreeNode[];
};

/** The whole fork tree a run belongs to, from its root, with each run's status. */
export async function forkTree(db: Database, runId: string) {
  await loadRun(db, runId);
  let root = runId;
  for (let hops = 0; hops < 100; hops++) {
    const [up] = await db.select({ parent: runLinks.parentRunId }).from(runLinks).where(eq(runLinks.childRunId, root));
    if (!up) break;
    root = up.parent;
  }
  const links: (typeof runLinks.$inferSelect)[] = [];
  let frontier = [root];
  while (frontier.length && links.length < 500) {
    const next = await db.select().from(runLinks).where(inArray(runLinks.parentRunId, frontier));
    links.push(...next);
    frontier = next.map((l) => l.childRunId);
  }
  const ids = [root, ...links.map((l) => l.childRunId)];
  const statuses = new Map(
    (
      await db
        .select({ id: runs.id, status: runs.status, startedAt: runs.startedAt })
        .from(runs)
        .where(inArray(runs.id, ids))
    ).map((r) => [r.id, r]),
  );
  const build = (id: string): TreeNode => {
    const link = links.find((l) => l.childRunId === id);
    const r = statuses.get(id);
    return {
      runId: id,
      status: r?.status ?? "unknown",
      startedAt: r?.startedAt ?? new Date(0),
      forkPoint: link
        ? {
            stepId: link.forkPoint.stepId,
            ...(link.forkPoint.checkpoint ? { checkpoint: link.forkPoint.checkpoint } : {}),
          }
        : null,
      children: links.filter((l) => l.parentRunId === id).map((l) => build(l.childRunId)),
    };
  };
  return { root: build(root), current: runId };
}

/** Recovery facts for the run page: its parent link and whether its definition changed. */
export async function recoveryInfo(db: Database, runId: string) {
  const run = await loadRun(db, runId);
  const [link] = await db.select().from(runLinks).where(eq(runLinks.childRunId, runId));
  const [fp] = await db.select().from(runFingerprints).where(eq(runFingerprints.runId, runId));
  const now = await currentFingerprint(run.workflowId);
  return {
    parent: link
      ? { runId: link.parentRunId, forkPoint: link.forkPoint, stateEdited: link.edits?.state !== undefined }
      : null,
    fingerprint: fp?.fingerprint ?? null,
    resumedWithChangedDefinition: Boolean(fp?.resumedWith && fp.resumedWith !== fp.fingerprint),
    definitionChangedSince: Boolean(fp && now && fp.fingerprint !== now),
  };
}

// ------------------------------------------------------------------ time travel

/**
 * The run step by step: after each completed step, what the workflow knew — every step result
 * so far by step id, and the latest state of each checkpoint.
 */
export async function timeline(db: Database, runId: string) {
  await loadRun(db, runId);
  const steps = await db
    .select({
      position: runSteps.position,
      stepId: runSteps.stepId,
      kind: runSteps.kind,
      status: runSteps.status,
      output: runSteps.output,
      endedAt: runSteps.endedAt,
    })
    .from(runSteps)
    .where(eq(runSteps.runId, runId))
    .orderBy(asc(runSteps.position));
  const snapshots = await db.select().from(stateSnapshots).where(eq(stateSnapshots.runId, runId));
  const results: Record<string, unknown> = {};
  const checkpoints: Record<string, unknown> = {};
  return steps.map((s) => {
    if (s.status === "completed") results[s.stepId] = s.output;
    const cp = snapshots.find((c) => c.stepId === s.stepId);
    if (cp && s.status === "completed") checkpoints[cp.name] = cp.state;
    return { ...s, state: { steps: { ...results }, checkpoints: { ...checkpoints } } };
  });
}
