import { createHash } from "node:crypto";
import { and, count, eq, isNull, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, DbOrTx } from "@/db/client";
import { sqlBigint, sqlRow } from "@/db/rows";
import { runLlmSteps, runSteps, workflowGuards, type WorkflowGuardRow } from "@/db/schema";
import { writeAudit } from "@/server/audit/chain";
import { insertNotification } from "@/server/notifications/service";
import { formatUsd } from "@/server/governance/money";
import { recordRunStop } from "@/server/runs/stop";
import { getGuards } from "./service";

/** Guard trips are made by wflo itself, not by a person. */
const SYSTEM = { id: null, email: "system" } as const;

export type GuardKind = "max_llm_calls" | "max_steps" | "identical_calls" | "burn_rate" | "breaker_open";

/** A runaway guard stopped a call. Nothing was reserved or spent for it. */
export class GuardTrippedError extends Error {
  override name = "GuardTrippedError";
  constructor(
    readonly kind: GuardKind,
    readonly workflowId: string,
    readonly runId: string,
    readonly limit: string,
    readonly observed: string,
    message: string,
  ) {
    super(message);
  }
}

/** What makes two calls "the same": model, system prompt and prompt. */
export function callFingerprint(parts: { model: string; system?: string; prompt?: string; extra?: unknown }): string {
  return createHash("sha256")
    .update(JSON.stringify([parts.model, parts.system ?? "", parts.prompt ?? "", parts.extra ?? null]))
    .digest("hex")
    .slice(0, 32);
}

type CallAt = { runId: string; stepId: string; workflowId: string; fingerprint: string };

/** Opens the workflow's breaker (once per trip), with an audit row and a notification in the same transaction. */
export async function tripBreaker(
  db: Database,
  workflowId: string,
  runId: string | null,
  reason: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(workflowGuards)
      .set({
        trippedAt: new Date(),
        trippedReason: reason,
        trippedRunId: runId,
        version: sql`${workflowGuards.version} + 1`,
        updatedAt: new Date(),
      })
      .where(and(eq(workflowGuards.workflowId, workflowId), isNull(workflowGuards.trippedAt)))
      .returning();
    if (!row) return false;
    await writeAudit(tx, SYSTEM, {
      action: "guards.breaker_tripped",
      targetType: "workflow",
      targetId: workflowId,
      after: { reason, runId, ...details },
    });
    const stop = {
      kind: "breaker_tripped",
      severity: "critical",
      title: `Circuit breaker tripped for ${workflowId}`,
      message: `${reason}. New runs of ${workflowId} are paused until an operator resets the breaker on the Budgets page.`,
      details,
    } as const;
    await insertNotification(tx, {
      ...stop,
      runId,
      workflowId,
      dedupeKey: `breaker:${workflowId}:${row.trippedAt!.toISOString()}`,
    });
    if (runId) await recordRunStop(tx, runId, stop);
    return true;
  });
}

/** Stops one run (not the workflow): audit row and notification, once per run and guard. */
async function stopRun(
  db: Database,
  c: Omit<CallAt, "fingerprint">,
  kind: GuardKind,
  limit: number,
  observed: number,
  what: string,
): Promise<never> {
  const message = `guard tripped: ${what} (limit ${limit}, this run reached ${observed}); the run was stopped`;
  await db.transaction(async (tx) => {
    const stop = {
      kind: "guard_tripped",
      severity: "warning",
      title: `Run stopped by a guard: ${what}`,
      message: `Run ${c.runId} of ${c.workflowId} reached ${observed} (limit ${limit}) at step ${c.stepId}.`,
      details: { guard: kind, limit, observed, stepId: c.stepId },
    } as const;
    const fresh = await insertNotification(tx, {
      ...stop,
      runId: c.runId,
      workflowId: c.workflowId,
      dedupeKey: `guard:${c.runId}:${kind}`,
    });
    if (fresh) await recordRunStop(tx, c.runId, stop);
    if (fresh)
      await writeAudit(tx, SYSTEM, {
        action: "guards.run_stopped",
        targetType: "run",
        targetId: c.runId,
        after: { guard: kind, limit, observed, stepId: c.stepId, workflowId: c.workflowId },
      });
  });
  throw new GuardTrippedError(kind, c.workflowId, c.runId, String(limit), String(observed), message);
}

const first = async (q: Promise<{ n: number }[]>): Promise<number> => Number((await q)[0]?.n ?? 0);

/**
 * Before an LLM call: records the call's step (a retried step is the same row) and applies the
 * workflow's guards. Throws GuardTrippedError; a trip is audited and notified first.
 */
export async function checkGuardsBeforeCall(db: Database, c: CallAt): Promise<void> {
  await db
    .insert(runLlmSteps)
    .values({ runId: c.runId, stepId: c.stepId, fingerprint: c.fingerprint })
    .onConflictDoNothing();
  const g = await getGuards(db, c.workflowId);
  if (!g) return;
  if (g.trippedAt) {
    throw new GuardTrippedError(
      "breaker_open",
      c.workflowId,
      c.runId,
      "",
      "",
      `circuit breaker open for ${c.workflowId} since ${g.trippedAt.toISOString()}: ${g.trippedReason ?? "tripped"}; an operator must reset it on the Budgets page`,
    );
  }
  if (g.maxLlmCallsPerRun !== null) {
    const n = await first(db.select({ n: count() }).from(runLlmSteps).where(eq(runLlmSteps.runId, c.runId)));
    if (n > g.maxLlmCallsPerRun)
      await stopRun(db, c, "max_llm_calls", g.maxLlmCallsPerRun, n, "too many LLM calls in one run");
  }
  // max steps per run is enforced for every step (LLM or not) by checkStepLimit, from wflo's middleware.
  if (g.maxIdenticalCalls !== null) {
    const n = await first(
      db
        .select({ n: count() })
        .from(runLlmSteps)
        .where(and(eq(runLlmSteps.runId, c.runId), eq(runLlmSteps.fingerprint, c.fingerprint))),
    );
    if (n > g.maxIdenticalCalls) {
      const reason = `run ${c.runId} repeated the same LLM call ${n} times (limit ${g.maxIdenticalCalls})`;
      await tripBreaker(db, c.workflowId, c.runId, reason, {
        guard: "identical_calls",
        limit: g.maxIdenticalCalls,
        observed: n,
        stepId: c.stepId,
      });
      throw new GuardTrippedError(
        "identical_calls",
        c.workflowId,
        c.runId,
        String(g.maxIdenticalCalls),
        String(n),
        `guard tripped: ${reason}; the workflow's circuit breaker is now open`,
      );
    }
  }
}

/**
 * Before a step's handler runs (wflo's middleware, every fresh `step.run` / `sendEvent`
 * attempt): stops the run when this step would pass the workflow's max steps per run. Steps
 * are counted by Inngest's hashed id, so a retried step is the same step, and the current
 * step counts even if recording it failed. Throws GuardTrippedError (audited once per run).
 */
export async function checkStepLimit(
  db: Database,
  c: { runId: string; workflowId: string; stepId: string; hashedId: string },
): Promise<void> {
  const g = await getGuards(db, c.workflowId);
  if (!g || g.maxStepsPerRun === null) return;
  const others = await first(
    db
      .select({ n: count() })
      .from(runSteps)
      .where(and(eq(runSteps.runId, c.runId), ne(runSteps.hashedId, c.hashedId))),
  );
  const n = others + 1;
  if (n > g.maxStepsPerRun) await stopRun(db, c, "max_steps", g.maxStepsPerRun, n, "too many steps in one run");
}

/** Spend of a workflow over the last `minutes`, nano-dollars. */
export async function recentSpend(db: DbOrTx, workflowId: string, minutes: number): Promise<bigint> {
  const row = await sqlRow(
    db,
    sql`
    select coalesce(sum(cost_nano), 0) as spent from llm_calls
     where workflow = ${workflowId} and created_at > now() - (${minutes} * interval '1 minute')`,
    z.object({ spent: sqlBigint }),
  );
  return row?.spent ?? 0n;
}

/** After a call was paid: the burn-rate breaker. The call itself stands; the next one is refused. */
export async function checkBurnRate(
  db: Database,
  workflowId: string,
  runId: string,
  guards?: WorkflowGuardRow | null,
): Promise<boolean> {
  const g = guards === undefined ? await getGuards(db, workflowId) : guards;
  if (!g || g.trippedAt || g.burnWindowMinutes === null || g.burnLimitNano === null) return false;
  const spent = await recentSpend(db, workflowId, g.burnWindowMinutes);
  if (spent <= g.burnLimitNano) return false;
  const reason = `spend of ${formatUsd(spent)} in the last ${g.burnWindowMinutes} min passed the burn-rate limit of ${formatUsd(g.burnLimitNano)}`;
  return tripBreaker(db, workflowId, runId, reason, {
    guard: "burn_rate",
    spentNano: spent.toString(),
    limitNano: g.burnLimitNano.toString(),
    windowMinutes: g.burnWindowMinutes,
  });
}

/** Whether new runs of the workflow are paused by an open breaker (checked when a run is triggered). */
export async function breakerState(
  db: DbOrTx,
  workflowId: string,
): Promise<{ open: boolean; since: Date | null; reason: string | null }> {
  const g = await getGuards(db, workflowId);
  return { open: Boolean(g?.trippedAt), since: g?.trippedAt ?? null, reason: g?.trippedReason ?? null };
}
