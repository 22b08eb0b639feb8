import { DomainError, fieldError } from "@/server/errors";
import { and, asc, desc, eq, lte } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runs, runSteps, stateSnapshots, type Run } from "@/db/schema";
import type { Principal } from "@/server/auth/principal";
import { writeAudit } from "@/server/audit/chain";
import { sendEvent } from "@/server/runs/dispatch";
import { withEnvelope, type WfloEnvelope } from "@/server/runs/envelope";
import { workflowCatalog } from "@/server/workflows/workflow-catalog";
import { CHECKPOINT_STEP_PREFIX } from "./checkpoint";
import { jsonDiff, shapeProblems } from "./diff";
import { isTruncated } from "./runtime";
import type { forkInput } from "./schemas";
import type { z } from "zod";

const actorOf = (u: Principal) => ({ id: u.id, email: u.email });

export async function loadRun(db: Database, runId: string): Promise<Run> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw fieldError("not_found", "runId", `no run with id ${runId}`);
  return run;
}

// ------------------------------------------------------------------ checkpoints

export async function listCheckpoints(db: Database, runId: string) {
  await loadRun(db, runId);
  return db
    .select({
      name: stateSnapshots.name,
      version: stateSnapshots.version,
      state: stateSnapshots.state,
      stepId: stateSnapshots.stepId,
      createdAt: stateSnapshots.createdAt,
    })
    .from(stateSnapshots)
    .where(eq(stateSnapshots.runId, runId))
    .orderBy(asc(stateSnapshots.createdAt), asc(stateSnapshots.id));
}

/** One checkpoint: the given version, or the latest of that name. A missing one names what exists. */
export async function findCheckpoint(db: Database, runId: string, name: string, version?: number) {
  await loadRun(db, runId);
  const where =
    version === undefined
      ? and(eq(stateSnapshots.runId, runId), eq(stateSnapshots.name, name))
      : and(eq(stateSnapshots.runId, runId), eq(stateSnapshots.name, name), eq(stateSnapshots.version, version));
  const [row] = await db.select().from(stateSnapshots).where(where).orderBy(desc(stateSnapshots.version)).limit(1);
  if (row) return row;
  const names = [
    ...new Set(
      (await db.select({ name: stateSnapshots.name }).from(stateSnapshots).where(eq(stateSnapshots.runId, runId))).map(
        (r) => r.name,
      ),
    ),
  ];
  const label = version === undefined ? `"${name}"` : `"${name}" version ${version}`;
  throw fieldError(
    "not_found",
    "name",
    `run ${runId} has no checkpoint ${label}; ${names.length ? `it has ${names.map((n) => `"${n}"`).join(", ")}` : "it saved no checkpoints"}`,
  );
}

/** The reference's `rollbackToCheckpoint(name)`: the state saved there, to inspect or fork from. */
export async function rollbackToCheckpoint(db: Database, runId: string, name: string, version?: number) {
  const cp = await findCheckpoint(db, runId, name, version);
  return { runId, name: cp.name, version: cp.version, state: cp.state, createdAt: cp.createdAt };
}

export async function diffCheckpoints(
  db: Database,
  runId: string,
  a: { name: string; version: number },
  b: { name: string; version: number },
) {
  const [before, after] = [
    await findCheckpoint(db, runId, a.name, a.version),
    await findCheckpoint(db, runId, b.name, b.version),
  ];
  return {
    before: { name: before.name, version: before.version },
    after: { name: after.name, version: after.version },
    changes: jsonDiff(before.state, after.state),
  };
}

// ------------------------------------------------------------------ fork

type ForkArgs = z.output<typeof forkInput>;

/** Where a fork starts: the parent's step whose result is the last one reused. */
async function resolveForkPoint(db: Database, run: Run, from: ForkArgs["from"]) {
  if (from.kind === "checkpoint") {
    const cp = await findCheckpoint(db, run.id, from.name, from.version);
    const [step] = await db
      .select()
      .from(runSteps)
      .where(and(eq(runSteps.runId, run.id), eq(runSteps.stepId, cp.stepId)));
    if (step?.status !== "completed") {
      throw fieldError(
        "precondition_failed",
        "from",
        `checkpoint "${cp.name}" v${cp.version} has no completed step in run ${run.id} yet`,
      );
    }
    return { step, checkpoint: { name: cp.name, version: cp.version }, recordedState: cp.state as unknown };
  }
  const [step] = await db
    .select()
    .from(runSteps)
    .where(and(eq(runSteps.runId, run.id), eq(runSteps.position, from.position)));
  if (!step) throw fieldError("not_found", "from.position", `run ${run.id} has no step at position ${from.position}`);
  if (step.status !== "completed") {
    // A running run can be forked, but only from what it has finished: anything later is not recorded yet.
    throw fieldError(
      "precondition_failed",
      "from.position",
      `step "${step.stepId}" is ${step.status}${run.status === "completed" ? "" : ` and run ${run.id} is ${run.status}`}; a fork can only start from a completed step`,
    );
  }
  return { step, checkpoint: undefined, recordedState: undefined };
}

/**
 * Starts a new run of the same workflow that reuses every recorded `step.run` result up to the
 * fork point (served by the middleware, so no LLM call is made or billed again) and continues
 * from there, optionally with edited input or checkpoint state.
 */
export async function forkRun(db: Database, user: Principal, args: ForkArgs) {
  const run = await loadRun(db, args.runId);
  const wf = (await workflowCatalog()).find(run.workflowId);
  if (!wf)
    throw fieldError(
      "precondition_failed",
      "runId",
      `workflow ${run.workflowId} is no longer served by this app, so run ${run.id} cannot be forked`,
    );
  const point = await resolveForkPoint(db, run, args.from);

  if (args.state !== undefined) {
    if (!point.checkpoint)
      throw fieldError(
        "bad_request",
        "state",
        "only a fork from a checkpoint can edit state; pick a checkpoint or leave state out",
      );
    const problems = shapeProblems(point.recordedState, args.state);
    if (problems.length) throw new DomainError("bad_request", problems.join("; "), { field: "state" });
  }
  // The workflow parses its input on every request; an edit that would fail there fails here, by field.
  const parsed = wf.input.safeParse(args.input ?? run.input ?? {});
  if (!parsed.success) throw DomainError.fromZod(parsed.error);

  const reused = await db
    .select({ stepId: runSteps.stepId, output: runSteps.output })
    .from(runSteps)
    .where(
      and(
        eq(runSteps.runId, run.id),
        eq(runSteps.status, "completed"),
        eq(runSteps.kind, "run"),
        lte(runSteps.position, point.step.position),
      ),
    );
  const tooLarge = reused.filter((s) => isTruncated(s.output)).map((s) => s.stepId);
  if (tooLarge.length) {
    throw fieldError(
      "precondition_failed",
      "from",
      `the recorded results of ${tooLarge.join(", ")} were too large to keep, so they cannot be reused; fork from an earlier point`,
    );
  }

  const forkOf: NonNullable<WfloEnvelope["forkOf"]> = {
    runId: run.id,
    upToPosition: point.step.position,
    ...(point.checkpoint ? { checkpoint: point.checkpoint } : {}),
    ...(args.state !== undefined ? { state: args.state } : {}),
  };
  const input = parsed.data as Record<string, unknown>;
  const eventId = await sendEvent(wf.event, withEnvelope(input, { triggeredBy: actorOf(user), forkOf }));
  await db.transaction(async (tx) => {
    await writeAudit(tx, actorOf(user), {
      action: "run.fork",
      targetType: "run",
      targetId: run.id,
      after: {
        eventId,
        fromStep: point.step.stepId,
        position: point.step.position,
        checkpoint: point.checkpoint ?? null,
        inputEdited: args.input !== undefined,
        stateEdited: args.state !== undefined,
      },
    });
  });
  return {
    eventId,
    parentRunId: run.id,
    fromStep: point.step.stepId,
    reusedSteps: reused.filter((s) => !s.stepId.startsWith(CHECKPOINT_STEP_PREFIX)).length,
  };
}
