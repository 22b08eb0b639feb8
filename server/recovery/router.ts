import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { runIdInput } from "@/server/runs/schemas";
import { checkpointInput, diffInput, forkInput } from "./schemas";
import { replayRun } from "./replay";
import { requestRollback, rollbackStatus } from "./rollback";
import { forkTree, recoveryInfo, timeline } from "./lineage";
import { diffCheckpoints, forkRun, listCheckpoints, rollbackToCheckpoint } from "./service";

/** Checkpoints, forks, rollback and replay of runs (server/recovery). */
export const recoveryRouter = createTRPCRouter({
  /** Every checkpoint version the run saved, oldest first, with its state. */
  checkpoints: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => listCheckpoints(ctx.db, input.runId)),
  /** The reference's `rollbackToCheckpoint(name)`: the state saved there (latest version unless one is given). */
  rollbackToCheckpoint: requirePermission("runs:read")
    .input(checkpointInput)
    .query(({ ctx, input }) => rollbackToCheckpoint(ctx.db, input.runId, input.name, input.version)),
  diff: requirePermission("runs:read")
    .input(diffInput)
    .query(({ ctx, input }) => diffCheckpoints(ctx.db, input.runId, input.a, input.b)),
  /** A new run that reuses the recorded results up to a checkpoint or completed step. */
  fork: requirePermission("runs:rerun")
    .input(forkInput)
    .mutation(({ ctx, input }) => forkRun(ctx.db, ctx.user, input)),
  tree: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => forkTree(ctx.db, input.runId)),
  info: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => recoveryInfo(ctx.db, input.runId)),
  /** Re-executes today's code against the run's records (zero cost) and reports where it diverges. */
  replay: requirePermission("runs:rerun")
    .input(runIdInput)
    .mutation(({ ctx, input }) => replayRun(ctx.db, input.runId)),
  /**
   * "Roll back run": the finished run's compensations, newest first, in a system run. Same
   * permission as cancel: both stop what a run did. Two at once: one proceeds, one gets CONFLICT.
   */
  rollback: requirePermission("runs:cancel")
    .input(runIdInput)
    .mutation(({ ctx, input }) => requestRollback(ctx.db, ctx.user, input.runId)),
  /** The run's rollback (if any) and its compensable steps with their status, attempts and error. */
  rollbackStatus: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => rollbackStatus(ctx.db, input.runId)),
  /** Time travel: the workflow's state after each step. */
  timeline: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => timeline(ctx.db, input.runId)),
});
