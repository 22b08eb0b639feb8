import { asc, eq, sql } from "drizzle-orm";
import type { NextRequest } from "next/server";
import { serve } from "inngest/next";
import { describe, expect, it, vi } from "vitest";
import { runs, runSteps } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { SYSTEM_FUNCTION_PREFIX } from "@/inngest/middleware";
import { servedFunctions } from "@/inngest/registry";
import { dashboardOverview } from "@/server/dashboard/service";
import { listRunsRoute } from "@/server/rest/routes/runs";
import { workflowRunStats } from "./queries";
import { pruneSystemRuns } from "./retention";
import { openHarness, startRunsHarness } from "./testing/runs-harness";
import { driveRun, type ServeHandler } from "./testing/sdk-driver";

/**
 * wflo's scheduled system workflows are recorded as runs (marked runs.system), shown only when
 * asked for, left out of counts and stats, and pruned; the cron ticks are real engine runs.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

/** A scheduled system function that fails after one step. */
const failingSystemCron = inngest.createFunction(
  {
    id: `${SYSTEM_FUNCTION_PREFIX}test-failing-cron`,
    retries: 0,
    // Never due on its own: the test makes its tick due.
    triggers: [{ cron: "0 0 1 1 *" }],
  },
  async ({ step }) => {
    await step.run("look", () => ({ looked: true }));
    throw new Error("the sweep broke");
  },
);

const { h, viewer } = await openHarness(() => startRunsHarness({ extraFunctions: [failingSystemCron] }), {
  viewer: ["viewer@example.com", "viewer"],
});

/** Makes the engine's next tick of this cron function due now, so the test need not wait a minute. */
async function tickNow(functionId: string): Promise<void> {
  await h.until(`the ${functionId} cron to be scheduled`, async () => {
    const due = await h.fresh.db.execute<{ id: string }>(
      sql`update engine_queue set due_at = now() where kind = 'cron' and function_id like ${`%${functionId}`} returning id`,
    );
    return due.length > 0;
  });
}

async function finishedSystemRun(workflowId: string) {
  return h.until(`a finished ${workflowId} run`, async () => {
    const [r] = await h.fresh.db
      .select()
      .from(runs)
      .where(sql`${runs.workflowId} = ${workflowId} and ${runs.status} in ('completed', 'failed')`)
      .limit(1);
    return r;
  });
}
const stepsOf = (runId: string) =>
  h.fresh.db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.position));

describe("scheduled system runs", () => {
  it("records a cron tick of expire-reservations as a system run: a schedule, its step, status, duration", async () => {
    await tickNow("system-expire-reservations");
    const run = await finishedSystemRun("system-expire-reservations");
    expect(run).toMatchObject({
      system: true,
      status: "completed",
      eventName: "inngest/scheduled.timer",
      triggeredByKind: "schedule",
      triggeredById: null,
      output: { expired: 0 },
      error: null,
    });
    expect(run.endedAt).toBeInstanceOf(Date);
    expect(run.endedAt!.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
    const steps = await stepsOf(run.id);
    expect(steps).toEqual([
      expect.objectContaining({ stepId: "expire-0", kind: "run", status: "completed", output: 0 }),
    ]);
  });

  it("records a failing system run with its error and the step before it", async () => {
    await tickNow("system-test-failing-cron");
    const run = await finishedSystemRun("system-test-failing-cron");
    expect(run).toMatchObject({ system: true, status: "failed", triggeredByKind: "schedule" });
    expect(run.error?.message).toContain("the sweep broke");
    const steps = await stepsOf(run.id);
    expect(steps[0]).toMatchObject({ stepId: "look", status: "completed", output: { looked: true } });
  });

  it("lists system runs only when asked (tRPC and REST), labelled as a schedule", async () => {
    const system = await finishedSystemRun("system-expire-reservations");
    const mine = await h.finished(await h.start("demo/hello.requested", { data: { name: "Ada" }, by: viewer }));
    const plain = await h.as(viewer).runs.list({});
    expect(plain.items.map((r) => r.id)).toContain(mine.id);
    expect(plain.items.some((r) => r.system)).toBe(false);
    const all = await h.as(viewer).runs.list({ system: true, limit: 100 });
    expect(all.items.map((r) => r.id)).toEqual(expect.arrayContaining([mine.id, system.id]));
    expect(all.items.find((r) => r.id === system.id)).toMatchObject({ system: true, triggeredByLabel: "a schedule" });
    // GET /api/v1/runs takes the flag from the query string, hidden by default.
    expect(listRunsRoute.query?.parse({ system: "true" })).toMatchObject({ system: true });
    expect(listRunsRoute.query?.parse({})).toMatchObject({ system: false });
    expect(listRunsRoute.query?.safeParse({ system: "yes" }).success).toBe(false);
  });

  it("leaves system runs out of the workflows page stats and the dashboard", async () => {
    await finishedSystemRun("system-expire-reservations");
    const people = await h.fresh.db.select().from(runs).where(eq(runs.system, false));
    const stats = await workflowRunStats(h.fresh.db);
    expect([...stats.keys()].filter((id) => id.startsWith(SYSTEM_FUNCTION_PREFIX))).toEqual([]);
    expect([...stats.values()].reduce((n, s) => n + s.total, 0)).toBe(people.length);
    const overview = await dashboardOverview(h.fresh.db, "24h");
    expect(Object.values(overview.totals).reduce((a, b) => a + b, 0)).toBe(people.length);
    expect(overview.active).toBe(people.filter((r) => !["completed", "failed", "cancelled"].includes(r.status)).length);
  });
});

describe("the lifecycle safety net and system runs", () => {
  const served = serve({ client: inngest, functions: servedFunctions });
  const handler: ServeHandler = (req) => served.POST(req as NextRequest, undefined);
  const lifecycle = (runId: string, functionId: string) =>
    driveRun({
      handler,
      functionId: "wflo-system-run-lifecycle",
      runId: `${runId}-lc`,
      event: {
        id: `${runId}-lc-event`,
        name: "inngest/function.failed",
        data: { function_id: functionId, run_id: runId, error: { name: "Error", message: "attempts exhausted" } },
        ts: Date.now(),
      },
    });

  it("settles a recorded system run the middleware left running, and creates none for unrecorded ones", async () => {
    await h.fresh.db.insert(runs).values({
      id: "lc-system-running",
      workflowId: "system-dispatch-alerts",
      eventName: "inngest/scheduled.timer",
      system: true,
      status: "running",
    });
    expect((await lifecycle("lc-system-running", "wflo-system-dispatch-alerts")).outcome).toBe("completed");
    const [settled] = await h.fresh.db.select().from(runs).where(eq(runs.id, "lc-system-running"));
    expect(settled).toMatchObject({ status: "failed", error: { message: "attempts exhausted" } });

    expect((await lifecycle("lc-rollback-run", "wflo-system-run-rollback")).outcome).toBe("completed");
    expect(await h.fresh.db.select().from(runs).where(eq(runs.id, "lc-rollback-run"))).toEqual([]);
  });
});

describe("pruning system runs", () => {
  it("deletes clean system runs after a day and the others after a week, with their steps; never people's runs", async () => {
    // Relative to now, so the system runs the crons recorded in this file meanwhile are not due;
    // the engine's own pruning cron is unscheduled so its tick cannot take these rows first.
    await h.fresh.db.execute(
      sql`delete from engine_queue where kind = 'cron' and function_id like '%system-prune-system-runs'`,
    );
    const now = new Date();
    const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
    const row = (id: string, system: boolean, status: "completed" | "failed" | "running", endedHoursAgo: number) => ({
      id,
      workflowId: system ? "system-expire-approvals" : "hello",
      eventName: "inngest/scheduled.timer",
      system,
      status,
      startedAt: ago(endedHoursAgo + 1),
      endedAt: status === "running" ? null : ago(endedHoursAgo),
      updatedAt: ago(endedHoursAgo),
    });
    await h.fresh.db
      .insert(runs)
      .values([
        row("prune-old-ok", true, "completed", 25),
        row("prune-new-ok", true, "completed", 23),
        row("prune-old-failed", true, "failed", 7 * 24 + 1),
        row("prune-recent-failed", true, "failed", 25),
        row("prune-stuck", true, "running", 7 * 24 + 1),
        row("prune-people-old", false, "completed", 30 * 24),
      ]);
    await h.fresh.db.insert(runSteps).values({
      runId: "prune-old-ok",
      hashedId: "h1",
      stepId: "expire-0",
      name: "expire-0",
      kind: "run",
      status: "completed",
    });

    expect(await pruneSystemRuns(h.fresh.db, now)).toBe(3);
    const left = await h.fresh.db
      .select({ id: runs.id })
      .from(runs)
      .where(sql`${runs.id} like 'prune-%'`)
      .orderBy(asc(runs.id));
    expect(left.map((r) => r.id)).toEqual(["prune-new-ok", "prune-people-old", "prune-recent-failed"]);
    expect(await stepsOf("prune-old-ok")).toEqual([]);
    // Batches are bounded; the cron repeats while a batch comes back full.
    expect(await pruneSystemRuns(h.fresh.db, new Date(now.getTime() + 30 * 86_400_000), 1)).toBe(1);
  });
});
