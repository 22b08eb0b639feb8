import { asc, eq } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { llmCalls, runs } from "@/db/schema";
import { countTokens } from "@/server/governance/estimate/tokens";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * What a framework adapter test needs on top of the runs harness: start a test workflow by
 * event (with wflo's envelope, e.g. `{ budgetNano }`), wait for it to end, read its LLM calls.
 * Import it after `claimEnginePort()` (inside beforeAll), like the runs harness.
 */
export type AdapterHarness = RunsHarness & {
  start(event: string, envelope?: Record<string, unknown>): Promise<string>;
  finished(runId: string): Promise<typeof runs.$inferSelect>;
  callsOf(runId: string): Promise<(typeof llmCalls.$inferSelect)[]>;
};

export async function startAdapterHarness(functions: readonly InngestFunction.Any[]): Promise<AdapterHarness> {
  const h = await startRunsHarness({ extraFunctions: functions });
  return Object.assign(h, {
    async start(event: string, envelope: Record<string, unknown> = {}) {
      const { inngest } = await import("@/inngest/client");
      const { ids } = await inngest.send({ name: event, data: { _wflo: envelope } });
      return (await h.runFor(ids[0]!)).id;
    },
    finished: (runId: string) =>
      h.until(`run ${runId} to finish`, async () => {
        const r = (await h.fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
        return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
      }),
    callsOf: (runId: string) => h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.createdAt)),
  });
}

/** The local provider server's accounting: o200k tokens of a text, and of turns (+4 framing each). */
export const tok = (s: string) => countTokens(s, "gpt-4o");
export const turns = (...texts: string[]) => texts.reduce((n, t) => n + tok(t) + 4, 0);
/** The usage fields a text-only call leaves at zero, for `costOf`. */
export const NO_CACHE_OR_REASONING = { cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
