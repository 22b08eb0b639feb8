import { randomUUID } from "node:crypto";
import { fieldError } from "@/server/errors";
import { and, asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runCompensations, runRollbacks, runs, TERMINAL_RUN_STATUSES } from "@/db/schema";
import type { Principal } from "@/server/auth/principal";
import { writeAudit } from "@/server/audit/chain";
import { log } from "@/server/log";
import { sendEvent } from "@/server/runs/dispatch";
import { openCompensations } from "./compensation";

/** Handled by wflo's system function `system-run-rollback` (inngest/functions/system/run-rollback.ts). */
export const ROLLBACK_EVENT = "wflo/run.rollback.requested";

const isTerminal = (s: string) => (TERMINAL_RUN_STATUSES as readonly string[]).includes(s);

/**
 * "Roll back run": claims the run's one `run_rollbacks` row as a new request (its id, who asked),
 * then sends the event, naming only the request, that runs its compensations. The claim is the primary key, so of two operators at once exactly one proceeds;
 * the other gets CONFLICT naming who is rolling it back. A rollback that ended partly (a
 * compensation kept failing) can be claimed again once someone has fixed the cause: only its
 * open compensations run. Claim, audit and event are one transaction, so a refused event leaves
 * nothing claimed.
 */
export async function requestRollback(db: Database, user: Principal, runId: string) {
  const [run] = await db
    .select({ id: runs.id, workflowId: runs.workflowId, status: runs.status })
    .from(runs)
    .where(eq(runs.id, runId));
  if (!run) throw fieldError("not_found", "runId", `no run with id ${runId}`);
  if (!isTerminal(run.status)) {
    throw fieldError(
      "precondition_failed",
      "runId",
      `run ${runId} is ${run.status}; cancel it or let it finish before rolling it back`,
    );
  }
  const open = await openCompensations(db, runId);
  if (!open.length) {
    const [existing] = await db
      .select({ status: runRollbacks.status })
      .from(runRollbacks)
      .where(eq(runRollbacks.runId, runId));
    if (existing?.status !== "running") {
      throw fieldError(
        "precondition_failed",
        "runId",
        `run ${runId} has nothing to undo: none of its completed steps declared a compensation${existing ? " that is not already compensated" : ""}`,
      );
    }
  }

  // A new id per request: the event names it, and the system function acts only on the row that holds it.
  const requestId = randomUUID();
  return db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(runRollbacks)
      .values({
        runId,
        workflowId: run.workflowId,
        reason: "operator",
        requestedByEmail: user.email,
        requestedById: user.id,
        requestId,
      })
      .onConflictDoUpdate({
        target: runRollbacks.runId,
        set: {
          status: "running",
          reason: "operator",
          requestedByEmail: user.email,
          requestedById: user.id,
          requestId,
          startedByRunId: null,
          failedStepId: null,
          error: null,
          endedAt: null,
          createdAt: sql`now()`,
        },
        setWhere: sql`${runRollbacks.status} = 'partly_rolled_back'`,
      })
      .returning({ runId: runRollbacks.runId });
    if (!claimed) {
      const [other] = await tx.select().from(runRollbacks).where(eq(runRollbacks.runId, runId));
      const who =
        other?.requestedByEmail ??
        (other?.reason === "automatic" ? "the workflow's automatic rollback" : "someone else");
      throw fieldError(
        "conflict",
        "runId",
        other?.status === "running"
          ? `run ${runId} is already being rolled back by ${who} (since ${other.createdAt.toISOString()})`
          : `run ${runId} was already rolled back by ${who}`,
      );
    }
    await writeAudit(
      tx,
      { id: user.id, email: user.email },
      {
        action: "run.rollback",
        targetType: "run",
        targetId: runId,
        after: { compensations: open.map((c) => c.stepId), requestId },
      },
    );
    // Only the request's id: who asked and what to roll back are read from the row (takeRollbackRequest).
    // runId is for the system function's concurrency key, nothing else.
    const eventId = await sendEvent(ROLLBACK_EVENT, { requestId, runId });
    return { eventId, runId, compensations: open.map((c) => c.stepId) };
  });
}

/** How long the system function looks for a request row: the event is sent just before the request's transaction commits. */
const REQUEST_SETTLE_MS = 5_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type RollbackRequest = { runId: string; workflowId: string; requestedByEmail: string | null };

/**
 * The rollback system function's first step: takes the open request `requestId` for the system
 * run `systemRunId` and returns what to roll back and who asked, from the row, or null (logged)
 * when there is no such request (a forged event), or it is done or taken by another run (a
 * replayed event). Idempotent for the same system run, so a retried step takes it again.
 */
export async function takeRollbackRequest(
  db: Database,
  requestId: string,
  systemRunId: string,
): Promise<RollbackRequest | null> {
  const settle = Date.now() + REQUEST_SETTLE_MS;
  for (;;) {
    const [taken] = await db
      .update(runRollbacks)
      .set({ startedByRunId: systemRunId })
      .where(
        and(
          eq(runRollbacks.requestId, requestId),
          eq(runRollbacks.status, "running"),
          or(isNull(runRollbacks.startedByRunId), eq(runRollbacks.startedByRunId, systemRunId)),
        ),
      )
      .returning({
        runId: runRollbacks.runId,
        workflowId: runRollbacks.workflowId,
        requestedByEmail: runRollbacks.requestedByEmail,
      });
    if (taken) return taken;
    const [other] = await db
      .select({ runId: runRollbacks.runId, status: runRollbacks.status, startedByRunId: runRollbacks.startedByRunId })
      .from(runRollbacks)
      .where(eq(runRollbacks.requestId, requestId));
    if (other) {
      log.warn(
        { requestId, runId: other.runId, status: other.status, startedByRunId: other.startedByRunId, systemRunId },
        "rollback request is not open (done, or taken by another run): nothing rolled back",
      );
      return null;
    }
    if (Date.now() >= settle) {
      log.warn(
        { requestId, systemRunId },
        "rollback event names no rollback request (not sent by wflo's rollback service): nothing rolled back",
      );
      return null;
    }
    await pause(100);
  }
}

/** The run page's rollback card: the rollback (if any) and every compensable step, newest first. */
export async function rollbackStatus(db: Database, runId: string) {
  const [rollback] = await db.select().from(runRollbacks).where(eq(runRollbacks.runId, runId));
  const compensations = await db
    .select({
      stepId: runCompensations.stepId,
      seq: runCompensations.seq,
      status: runCompensations.status,
      attempts: runCompensations.attempts,
      error: runCompensations.error,
      compensatedAt: runCompensations.compensatedAt,
    })
    .from(runCompensations)
    .where(eq(runCompensations.runId, runId))
    .orderBy(desc(runCompensations.seq), asc(runCompensations.stepId));
  return {
    rollback: rollback ?? null,
    /** A compensation kept failing: the run is not silently done, a person must look. */
    needsAttention: rollback?.status === "partly_rolled_back",
    compensations,
  };
}
