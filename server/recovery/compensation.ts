import { NonRetriableError } from "inngest";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { getDb, type Database } from "@/db/client";
import { runCompensations, runRollbacks, type RollbackStatus } from "@/db/schema";

/**
 * Step compensation (sagas). A workflow declares how to undo some of its steps
 * (`defineWorkflow({ compensate: { "charge-card": refund } })`). When such a step completes,
 * wflo records it in `run_compensations` with its result, inside the step itself, so the record
 * is committed before the step's result is (a lost record would be an undo silently skipped).
 *
 * A rollback (automatic on failure, or an operator's "Roll back run") runs the recorded
 * compensations highest `seq` first, each as its own durable `step.run`: retried by the Inngest
 * server, memoized, recorded. One that still fails after its retries stops the rollback and
 * leaves it `partly_rolled_back` with the failing step and error named: a person must look.
 *
 * Undo code is looked up by workflow and step id in this process's registry, never stored, so
 * the system function that performs an operator's rollback finds it in whichever app process
 * the Inngest server calls.
 */

/** Undoes one completed step, given its recorded (JSON) result. Retried, so make it idempotent. */
export type Compensation = (output: unknown, ctx: { runId: string; stepId: string }) => Promise<unknown>;

const registry = new Map<string, ReadonlyMap<string, Compensation>>();

/** Called by `defineWorkflow`; a redefinition (hot reload) replaces the workflow's entries. */
export function registerCompensations(workflowId: string, compensations: Readonly<Record<string, Compensation>>): void {
  registry.set(workflowId, new Map(Object.entries(compensations)));
}

export function compensationOf(workflowId: string, stepId: string): Compensation | undefined {
  return registry.get(workflowId)?.get(stepId);
}

/** Step ids of rollback bookkeeping; the compensation of step X runs as `compensate:X`. */
export const COMPENSATE_STEP_PREFIX = "compensate:";
export const ROLLBACK_PLAN_STEP = "rollback:plan";
export const ROLLBACK_END_STEP = "rollback:end";

/**
 * Called from the middleware's `wrapStepHandler` after a step's handler returned: records the
 * step as compensable if its workflow declares an undo for it. Not best-effort on purpose: if
 * this write fails the step fails and is retried.
 */
export async function recordCompensable(
  db: Database,
  r: { runId: string; workflowId: string; stepId: string; output: unknown },
): Promise<void> {
  if (!compensationOf(r.workflowId, r.stepId)) return;
  // JSON round trip: the compensation gets exactly what a later process would read back.
  const output = r.output === undefined ? null : (JSON.parse(JSON.stringify(r.output)) as unknown);
  await db
    .insert(runCompensations)
    .values({
      runId: r.runId,
      stepId: r.stepId,
      workflowId: r.workflowId,
      output,
      seq: sql`(select coalesce(max(${runCompensations.seq}), 0) + 1 from ${runCompensations} where ${runCompensations.runId} = ${r.runId})`,
    })
    // A retry of a step whose record committed but whose result did not: keep its place in the order.
    .onConflictDoUpdate({ target: [runCompensations.runId, runCompensations.stepId], set: { output } });
}

/** Compensations still to run: never run, or failed / skipped in an earlier rollback. */
const OPEN = ["pending", "failed", "skipped"] as const;

export async function openCompensations(db: Database, runId: string) {
  return db
    .select({ stepId: runCompensations.stepId, seq: runCompensations.seq })
    .from(runCompensations)
    .where(and(eq(runCompensations.runId, runId), inArray(runCompensations.status, [...OPEN])))
    .orderBy(desc(runCompensations.seq));
}

type StepRunner = { run: <T>(id: string, fn: () => Promise<T>) => Promise<unknown> };

export type RollbackOutcome =
  | { status: "rolled_back"; compensated: string[] }
  | {
      status: "partly_rolled_back";
      compensated: string[];
      failedStepId: string;
      error: { name: string; message: string };
    };

const errorOf = (err: unknown): { name: string; message: string } => {
  // A StepError carries the compensation's own error as its cause: that is what a person needs.
  const e = err instanceof Error && err.name === "StepError" && err.cause instanceof Error ? err.cause : err;
  return e instanceof Error
    ? { name: e.name, message: e.message.slice(0, 2000) }
    : { name: "Error", message: String(e).slice(0, 2000) };
};

/** One compensation, inside its durable step. Attempts and the last error are kept on the row. */
async function compensateOne(runId: string, stepId: string): Promise<{ compensated: string; result: unknown }> {
  const db = getDb();
  const [row] = await db
    .update(runCompensations)
    .set({ attempts: sql`${runCompensations.attempts} + 1` })
    .where(and(eq(runCompensations.runId, runId), eq(runCompensations.stepId, stepId)))
    .returning();
  if (!row) throw new NonRetriableError(`run ${runId} has no recorded compensation for step "${stepId}"`);
  if (row.status === "compensated") return { compensated: stepId, result: null };
  const undo = compensationOf(row.workflowId, stepId);
  // Retrying cannot make missing code appear; the step fails now and the rollback needs a person.
  if (!undo)
    throw new NonRetriableError(`workflow ${row.workflowId} no longer declares a compensation for step "${stepId}"`);
  try {
    const result = await undo(row.output, { runId, stepId });
    await db
      .update(runCompensations)
      .set({ status: "compensated", error: null, compensatedAt: sql`now()` })
      .where(and(eq(runCompensations.runId, runId), eq(runCompensations.stepId, stepId)));
    return { compensated: stepId, result: result === undefined ? null : result };
  } catch (err) {
    await db
      .update(runCompensations)
      .set({ error: errorOf(err) })
      .where(and(eq(runCompensations.runId, runId), eq(runCompensations.stepId, stepId)));
    throw err;
  }
}

async function endRollback(
  runId: string,
  status: RollbackStatus,
  failed?: { stepId: string; error: { name: string; message: string } },
) {
  await getDb()
    .update(runRollbacks)
    .set({ status, failedStepId: failed?.stepId ?? null, error: failed?.error ?? null, endedAt: sql`now()` })
    .where(eq(runRollbacks.runId, runId));
}

/**
 * Runs a run's open compensations in reverse completion order, each as a durable step of the
 * calling function (the failing workflow itself, or wflo's rollback system function).
 * `reason`/`requestedByEmail` create the `run_rollbacks` row if the caller has not (automatic).
 */
export async function rollBackRun(
  step: StepRunner,
  r: { runId: string; workflowId: string; reason: "automatic" | "operator"; requestedByEmail?: string | null },
): Promise<RollbackOutcome> {
  // The plan is a step so that every replay of this function walks the same list.
  const plan = (await step.run(ROLLBACK_PLAN_STEP, async () => {
    const db = getDb();
    await db
      .insert(runRollbacks)
      .values({
        runId: r.runId,
        workflowId: r.workflowId,
        reason: r.reason,
        requestedByEmail: r.requestedByEmail ?? null,
      })
      .onConflictDoNothing();
    return (await openCompensations(db, r.runId)).map((c) => c.stepId);
  })) as string[];

  const compensated: string[] = [];
  for (const [i, stepId] of plan.entries()) {
    try {
      await step.run(`${COMPENSATE_STEP_PREFIX}${stepId}`, () => compensateOne(r.runId, stepId));
      compensated.push(stepId);
    } catch (err) {
      // Its retries are used up (the server only throws a step's error into the function then).
      const error = errorOf(err);
      const rest = plan.slice(i + 1);
      await step.run(ROLLBACK_END_STEP, async () => {
        const db = getDb();
        await db
          .update(runCompensations)
          .set({ status: "failed", error })
          .where(and(eq(runCompensations.runId, r.runId), eq(runCompensations.stepId, stepId)));
        // Earlier steps stay undone-not: their undo may depend on this one's (that is why the order is reversed).
        if (rest.length)
          await db
            .update(runCompensations)
            .set({ status: "skipped" })
            .where(and(eq(runCompensations.runId, r.runId), inArray(runCompensations.stepId, rest)));
        await endRollback(r.runId, "partly_rolled_back", { stepId, error });
        return { status: "partly_rolled_back", failedStepId: stepId };
      });
      return { status: "partly_rolled_back", compensated, failedStepId: stepId, error };
    }
  }
  await step.run(ROLLBACK_END_STEP, async () => {
    await endRollback(r.runId, "rolled_back");
    return { status: "rolled_back", compensated };
  });
  return { status: "rolled_back", compensated };
}
