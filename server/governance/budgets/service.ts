import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database, DbOrTx, Tx } from "@/db/client";
import { sqlBigint, sqlRows } from "@/db/rows";
import { budgetAlerts, budgetCounters, budgets, type BudgetAlertRow, type BudgetRow } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { DomainError, fieldError } from "@/server/errors";
import { nanoToUsdString } from "@/server/governance/money";
import type { createBudgetInput, deleteBudgetInput, updateBudgetInput } from "./schemas";
import { resolveScopeValue } from "./scope-values";
import { budgetTimeZone } from "./timezone";

export type BudgetWindowStatus = {
  windowStart: Date | null;
  spentNano: bigint;
  reservedNano: bigint;
  limitNano: bigint;
  utilization: number;
};

export function publicBudget(b: BudgetRow) {
  return {
    id: b.id,
    name: b.name,
    scope: b.scope,
    scopeValue: b.scopeValue,
    period: b.period,
    limitNano: b.limitNano,
    limitUsd: nanoToUsdString(b.limitNano),
    alertThresholds: b.alertThresholds,
    enabled: b.enabled,
    version: b.version,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}
export type PublicBudget = ReturnType<typeof publicBudget>;

/** What the audit log keeps of a budget: JSON-safe (no bigint). */
const audited = (b: BudgetRow) => ({ ...publicBudget(b), limitNano: b.limitNano.toString() });

function uniqueViolation(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string } }).cause ?? (e as { code?: string });
  return cause?.code === "23505";
}

/**
 * `b` is parsed by the caller with `createBudgetInput` (the router's `.input`); `servedWorkflows`:
 * the workflow ids this app serves (the workflows catalog), which a workflow budget must name.
 */
export async function createBudget(
  db: Database,
  actor: Actor,
  b: z.output<typeof createBudgetInput>,
  servedWorkflows: readonly string[],
): Promise<PublicBudget> {
  const scopeValue = await resolveScopeValue(db, b.scope, b.scopeValue, servedWorkflows);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(budgets)
        .values({
          name: b.name,
          scope: b.scope,
          scopeValue,
          period: b.period,
          limitNano: b.limitUsd,
          alertThresholds: b.alertThresholds,
          enabled: b.enabled,
        })
        .returning();
      if (!row) throw new Error("insert returned no row");
      await writeAudit(tx, actor, {
        action: "budget.create",
        targetType: "budget",
        targetId: row.id,
        after: audited(row),
      });
      return publicBudget(row);
    });
  } catch (e) {
    if (uniqueViolation(e)) {
      throw new DomainError(
        "conflict",
        `a ${b.period} budget for ${b.scope}${scopeValue ? ` "${scopeValue}"` : ""} already exists: edit it instead`,
        { field: "scope" },
      );
    }
    throw e;
  }
}

/** Locks the budget's counters in key order (the order reserve and settle use) and copies the new limit into them. */
async function applyLimit(tx: Tx, budgetId: string, limitNano: bigint): Promise<void> {
  await tx.execute(sql`select 1 from budget_counters where budget_id = ${budgetId} order by key for update`);
  await tx
    .update(budgetCounters)
    .set({ limitNano, updatedAt: new Date() })
    .where(eq(budgetCounters.budgetId, budgetId));
}

async function versionConflict(tx: DbOrTx, id: string, expected: number): Promise<never> {
  const [now] = await tx.select({ version: budgets.version }).from(budgets).where(eq(budgets.id, id));
  if (!now) throw fieldError("not_found", "id", `no budget ${id}`);
  throw fieldError(
    "conflict",
    "expectedVersion",
    `the budget was changed by someone else meanwhile (you edited version ${expected}, it is now version ${now.version}); reload and try again`,
  );
}

/** Optimistic: applies only if the budget is still at `expectedVersion`, else a CONFLICT naming the current version. */
export async function updateBudget(
  db: Database,
  actor: Actor,
  u: z.output<typeof updateBudgetInput>,
): Promise<PublicBudget> {
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(budgets).where(eq(budgets.id, u.id));
    if (!before) throw fieldError("not_found", "id", `no budget ${u.id}`);
    const [after] = await tx
      .update(budgets)
      .set({
        ...(u.name !== undefined && { name: u.name }),
        ...(u.limitUsd !== undefined && { limitNano: u.limitUsd }),
        ...(u.alertThresholds !== undefined && { alertThresholds: u.alertThresholds }),
        ...(u.enabled !== undefined && { enabled: u.enabled }),
        version: sql`${budgets.version} + 1`,
        updatedAt: new Date(),
      })
      .where(and(eq(budgets.id, u.id), eq(budgets.version, u.expectedVersion)))
      .returning();
    if (!after) return versionConflict(tx, u.id, u.expectedVersion);
    if (u.limitUsd !== undefined) await applyLimit(tx, u.id, after.limitNano);
    await writeAudit(tx, actor, {
      action: "budget.update",
      targetType: "budget",
      targetId: u.id,
      before: audited(before),
      after: audited(after),
    });
    return publicBudget(after);
  });
}

export async function deleteBudget(db: Database, actor: Actor, d: z.output<typeof deleteBudgetInput>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select 1 from budget_counters where budget_id = ${d.id} order by key for update`);
    const [gone] = await tx
      .delete(budgets)
      .where(and(eq(budgets.id, d.id), eq(budgets.version, d.expectedVersion)))
      .returning();
    if (!gone) return versionConflict(tx, d.id, d.expectedVersion);
    await writeAudit(tx, actor, {
      action: "budget.delete",
      targetType: "budget",
      targetId: d.id,
      before: audited(gone),
    });
  });
}

/** A budget's counter row as listBudgets reads it (raw SQL: timestamps arrive as text). */
const counterRow = z.object({
  budget_id: z.string(),
  window_start: z.union([z.date(), z.string()]).nullable(),
  spent_nano: sqlBigint,
  reserved_nano: sqlBigint,
  limit_nano: sqlBigint,
});

/** Every budget with its current window's spend (run budgets: the window is per run, so no single status). */
export async function listBudgets(db: DbOrTx): Promise<(PublicBudget & { current: BudgetWindowStatus | null })[]> {
  const rows = await db
    .select()
    .from(budgets)
    .orderBy(asc(budgets.scope), asc(budgets.scopeValue), asc(budgets.period));
  if (!rows.length) return [];
  const tz = budgetTimeZone();
  const counters = await sqlRows(
    db,
    sql`
    select c.budget_id, c.window_start, c.spent_nano, c.reserved_nano, c.limit_nano
      from budget_counters c join budgets b on b.id = c.budget_id
     where c.budget_id in ${rows.map((r) => r.id)}
       and ((b.period = 'lifetime' and c.key = b.id::text || '|lifetime')
         or (b.period not in ('run', 'lifetime') and c.window_start = date_trunc(b.period::text, now(), ${tz})))`,
    counterRow,
  );
  const byBudget = new Map(counters.map((c) => [c.budget_id, c]));
  return rows.map((b) => {
    const c = byBudget.get(b.id);
    let current: BudgetWindowStatus | null = null;
    if (b.period !== "run") {
      const spent = BigInt(c?.spent_nano ?? 0n);
      current = {
        windowStart: c?.window_start ? new Date(c.window_start) : null,
        spentNano: spent,
        reservedNano: BigInt(c?.reserved_nano ?? 0n),
        limitNano: b.limitNano,
        utilization: b.limitNano > 0n ? Number((spent * 10_000n) / b.limitNano) / 10_000 : 0,
      };
    }
    return { ...publicBudget(b), current };
  });
}

/** Threshold crossings not yet delivered, oldest first, for the notifier. */
export async function pendingBudgetAlerts(
  db: DbOrTx,
  limit = 100,
): Promise<(BudgetAlertRow & { budgetName: string })[]> {
  const rows = await db
    .select({ alert: budgetAlerts, budgetName: budgets.name })
    .from(budgetAlerts)
    .innerJoin(budgets, eq(budgets.id, budgetAlerts.budgetId))
    .where(isNull(budgetAlerts.deliveredAt))
    .orderBy(asc(budgetAlerts.id))
    .limit(limit);
  return rows.map((r) => ({ ...r.alert, budgetName: r.budgetName }));
}

export async function markBudgetAlertsDelivered(db: DbOrTx, ids: number[]): Promise<void> {
  if (ids.length) await db.update(budgetAlerts).set({ deliveredAt: new Date() }).where(inArray(budgetAlerts.id, ids));
}
