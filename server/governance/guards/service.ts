import { and, asc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, DbOrTx } from "@/db/client";
import { workflowGuards, type WorkflowGuardRow } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { fieldError } from "@/server/errors";
import { nanoToUsdString } from "@/server/governance/money";
import type { setGuardsInput, workflowIdInput } from "./schemas";

export function publicGuards(r: WorkflowGuardRow) {
  return {
    workflowId: r.workflowId,
    maxLlmCallsPerRun: r.maxLlmCallsPerRun,
    maxStepsPerRun: r.maxStepsPerRun,
    maxIdenticalCalls: r.maxIdenticalCalls,
    burnWindowMinutes: r.burnWindowMinutes,
    burnLimitUsd: r.burnLimitNano === null ? null : nanoToUsdString(r.burnLimitNano),
    tripped: r.trippedAt !== null,
    trippedAt: r.trippedAt,
    trippedReason: r.trippedReason,
    trippedRunId: r.trippedRunId,
    version: r.version,
    updatedAt: r.updatedAt,
    updatedByEmail: r.updatedByEmail,
  };
}
export type PublicGuards = ReturnType<typeof publicGuards>;

export async function listGuards(db: DbOrTx): Promise<PublicGuards[]> {
  return (await db.select().from(workflowGuards).orderBy(asc(workflowGuards.workflowId))).map(publicGuards);
}

export async function getGuards(db: DbOrTx, workflowId: string): Promise<WorkflowGuardRow | null> {
  const [row] = await db.select().from(workflowGuards).where(eq(workflowGuards.workflowId, workflowId));
  return row ?? null;
}

const conflict = (expected: number, now: number) =>
  fieldError(
    "conflict",
    "expectedVersion",
    `the guards were changed by someone else meanwhile (you edited version ${expected}, they are now version ${now}); reload and try again`,
  );

/** Saves a workflow's guard limits (optimistic: `expectedVersion` 0 creates). A trip in progress is kept. */
export async function setGuards(
  db: Database,
  actor: Actor,
  g: z.output<typeof setGuardsInput>,
  knownWorkflows: readonly string[],
): Promise<PublicGuards> {
  if (!knownWorkflows.includes(g.workflowId))
    throw fieldError("bad_request", "workflowId", `no workflow named "${g.workflowId}"`);
  const values = {
    maxLlmCallsPerRun: g.maxLlmCallsPerRun,
    maxStepsPerRun: g.maxStepsPerRun,
    maxIdenticalCalls: g.maxIdenticalCalls,
    burnWindowMinutes: g.burnWindowMinutes,
    burnLimitNano: g.burnLimitUsd,
    updatedAt: new Date(),
    updatedByEmail: actor.email,
  };
  return db.transaction(async (tx) => {
    const before = await getGuards(tx, g.workflowId);
    let row: WorkflowGuardRow | undefined;
    if (g.expectedVersion === 0) {
      if (before) throw conflict(0, before.version);
      [row] = await tx
        .insert(workflowGuards)
        .values({ workflowId: g.workflowId, ...values })
        .onConflictDoNothing()
        .returning();
      if (!row) throw conflict(0, (await getGuards(tx, g.workflowId))?.version ?? 1);
    } else {
      [row] = await tx
        .update(workflowGuards)
        .set({ ...values, version: sql`${workflowGuards.version} + 1` })
        .where(and(eq(workflowGuards.workflowId, g.workflowId), eq(workflowGuards.version, g.expectedVersion)))
        .returning();
      if (!row) {
        if (!before)
          throw fieldError(
            "not_found",
            "workflowId",
            `no guards saved for ${g.workflowId} yet (use expectedVersion 0)`,
          );
        throw conflict(g.expectedVersion, before.version);
      }
    }
    await writeAudit(tx, actor, {
      action: "guards.update",
      targetType: "workflow",
      targetId: g.workflowId,
      before: before ? publicGuards(before) : undefined,
      after: publicGuards(row),
    });
    return publicGuards(row);
  });
}

/** Closes a tripped breaker: the workflow may run again. */
export async function resetBreaker(
  db: Database,
  actor: Actor,
  { workflowId }: z.output<typeof workflowIdInput>,
): Promise<PublicGuards> {
  return db.transaction(async (tx) => {
    const before = await getGuards(tx, workflowId);
    if (!before?.trippedAt)
      throw fieldError("precondition_failed", "workflowId", `the breaker of ${workflowId} is not tripped`);
    const [row] = await tx
      .update(workflowGuards)
      .set({
        trippedAt: null,
        trippedReason: null,
        trippedRunId: null,
        version: sql`${workflowGuards.version} + 1`,
        updatedAt: new Date(),
        updatedByEmail: actor.email,
      })
      .where(eq(workflowGuards.workflowId, workflowId))
      .returning();
    await writeAudit(tx, actor, {
      action: "guards.breaker_reset",
      targetType: "workflow",
      targetId: workflowId,
      before: { trippedAt: before.trippedAt, trippedReason: before.trippedReason },
    });
    return publicGuards(row!);
  });
}
