import { eq, sql } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { approvals, type ApprovalRow } from "@/db/schema";
import type { SessionUser } from "@/server/api/trpc";
import { startRunsHarness } from "@/server/runs/testing/runs-harness";
import { gateTestFunctions } from "./gate-functions";

/**
 * Approvals on real parts: the runs harness (fresh database, embedded engine, wflo's real serve
 * handler) serving the app's functions plus the short-timer test gates, with gate helpers.
 * The test file claims the engine port first, as for the runs harness:
 * `await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"))`.
 */
export async function startGateHarness(extraFunctions: readonly InngestFunction.Any[] = []) {
  const runs = await startRunsHarness({ extraFunctions: [...gateTestFunctions, ...extraFunctions] });
  const { fresh } = runs;
  return {
    ...runs,
    /** Sends an event as if `by` triggered it (wflo's envelope), returns the run id. */
    start: (name: string, data: Record<string, unknown>, by?: SessionUser) => runs.start(name, { data, by }),
    /** The gate's approval once it waits (row pending and the engine holds the gate's wake-up wait, a signal keyed by the approval id). */
    async pendingGate(runId: string, gate: string): Promise<ApprovalRow> {
      const a = await runs.until(`approval ${gate} of ${runId}`, async () =>
        (await fresh.db.select().from(approvals).where(eq(approvals.runId, runId))).find((r) => r.gate === gate),
      );
      await runs.until(`the gate ${gate} of ${runId} to wait`, async () => {
        const rows = await fresh.db.execute<{ n: number }>(
          sql`select count(*)::int as n from engine_waits where run_id = ${runId} and kind in ('event', 'signal')`,
        );
        return (rows[0]?.n ?? 0) > 0;
      });
      return a;
    },
    async approval(id: string): Promise<ApprovalRow> {
      return (await fresh.db.select().from(approvals).where(eq(approvals.id, id)))[0]!;
    },
    engineRun: (runId: string) => runs.engine.getRun(runId),
    runStatus: (runId: string) => runs.statusOf(runId),
  };
}
export type GateHarness = Awaited<ReturnType<typeof startGateHarness>>;
