import { readFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "@/db/migrate";
import { governanceNotifications, runs } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { writeAudit } from "@/server/audit/chain";

/**
 * Migration 0021 gave runs their own budget and stop reason; runs recorded before it get both
 * from where they were read until then (the trigger / re-run audit row, the stop notification).
 * Its backfill statements run again here over rows written the old way.
 */
const backfill = readFileSync(path.join(MIGRATIONS_DIR, "0021_runs_budget_stop_reason.sql"), "utf8")
  .split("--> statement-breakpoint")
  .filter((s) => /^\s*(--.*\n\s*)*UPDATE/m.test(s));

let h: FreshDb;
beforeAll(async () => {
  h = await freshDatabase();
});
afterAll(async () => h?.drop());

const person = { id: null, email: "ops@example.com" };

describe("migration 0021 backfill", () => {
  it("has the two backfill statements", () => {
    expect(backfill).toHaveLength(2);
  });

  it("fills budget_nano from the trigger's or re-run's audit row (budgetNano, or budgetUsd on older rows) and stop_reason from the latest stop notification", async () => {
    const { db } = h;
    await db.transaction(async (tx) => {
      await writeAudit(tx, person, {
        action: "run.trigger",
        targetType: "workflow",
        targetId: "research-assistant",
        after: { eventId: "ev-1", budgetNano: "12000000", budgetUsd: "0.012" },
      });
      await writeAudit(tx, person, {
        action: "run.trigger",
        targetType: "workflow",
        targetId: "research-assistant",
        after: { eventId: "ev-2", budgetUsd: "0.5" },
      });
      await writeAudit(tx, person, {
        action: "run.rerun",
        targetType: "run",
        targetId: "run-1",
        after: { eventId: "ev-3", budgetNano: "7" },
      });
      await writeAudit(tx, person, {
        action: "run.trigger",
        targetType: "workflow",
        targetId: "research-assistant",
        after: { eventId: "ev-4" },
      });
    });
    await db.insert(runs).values([
      { id: "run-1", workflowId: "research-assistant", eventName: "e", eventId: "ev-1" },
      { id: "run-2", workflowId: "research-assistant", eventName: "e", eventId: "ev-2" },
      { id: "run-3", workflowId: "research-assistant", eventName: "e", eventId: "ev-3", rerunOf: "run-1" },
      { id: "run-4", workflowId: "research-assistant", eventName: "e", eventId: "ev-4" },
      // Same event id, other workflow: not its trigger.
      { id: "run-5", workflowId: "data-analyst", eventName: "e", eventId: "ev-1" },
    ]);
    const note = (id: string, kind: "guard_tripped" | "budget_exceeded" | "budget_threshold", title: string) => ({
      kind,
      severity: "warning" as const,
      title,
      message: `${title} message`,
      runId: id,
      details: { title },
      dedupeKey: `${id}:${kind}:${title}`,
    });
    await db.insert(governanceNotifications).values(note("run-1", "guard_tripped", "first"));
    await db.insert(governanceNotifications).values(note("run-1", "budget_exceeded", "latest"));
    await db.insert(governanceNotifications).values(note("run-2", "budget_threshold", "not a stop"));

    for (const statement of backfill) await h.sql.unsafe(statement);

    const byId = new Map((await db.select().from(runs)).map((r) => [r.id, r]));
    expect(byId.get("run-1")!.budgetNano).toBe(12_000_000n);
    expect(byId.get("run-2")!.budgetNano).toBe(500_000_000n);
    expect(byId.get("run-3")!.budgetNano).toBe(7n);
    expect(byId.get("run-4")!.budgetNano).toBeNull();
    expect(byId.get("run-5")!.budgetNano).toBeNull();
    expect(byId.get("run-1")!.stopReason).toMatchObject({
      kind: "budget_exceeded",
      severity: "warning",
      title: "latest",
      message: "latest message",
      details: { title: "latest" },
    });
    expect(typeof byId.get("run-1")!.stopReason!.at).toBe("string");
    expect(byId.get("run-2")!.stopReason).toBeNull();
    const [untouched] = await db
      .select({ n: governanceNotifications.id })
      .from(governanceNotifications)
      .where(eq(governanceNotifications.runId, "run-2"));
    expect(untouched).toBeDefined();
  });
});
