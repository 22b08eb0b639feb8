import { asc, eq, like, and } from "drizzle-orm";
import type { InngestFunction } from "inngest";
import { afterAll, expect } from "vitest";
import { llmCalls, runs, runSteps, stateSnapshots } from "@/db/schema";
import { costOf } from "@/server/governance";
import { countTokens } from "@/server/governance/estimate/tokens";
import { cataloguePrice } from "@/server/governance/pricing/catalogue";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";
import type { WfloEnvelope } from "@/server/runs/envelope";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * What a framework adapter test needs on top of the runs harness: start a test workflow by
 * event (with wflo's envelope, e.g. `{ budgetNano }`), wait for it to end, read its LLM calls,
 * steps and checkpoints. Import it after `claimEnginePort()` (inside beforeAll), like the runs harness.
 */
export type AdapterHarness = RunsHarness & {
  start(event: string, envelope?: WfloEnvelope): Promise<string>;
  finished(runId: string): Promise<typeof runs.$inferSelect>;
  /** Starts `event`, waits for the run to end and checks it completed without an error. */
  completed(event: string, envelope?: WfloEnvelope): Promise<{ runId: string; run: typeof runs.$inferSelect }>;
  callsOf(runId: string): Promise<(typeof llmCalls.$inferSelect)[]>;
  /** The run's steps as sorted `stepId=status` strings. */
  stepsOf(runId: string): Promise<string[]>;
  /** The run's checkpoints, oldest version first; only those whose name starts with `namePrefix` if given. */
  checkpointsOf(runId: string, namePrefix?: string): Promise<(typeof stateSnapshots.$inferSelect)[]>;
};

export async function startAdapterHarness(functions: readonly InngestFunction.Any[]): Promise<AdapterHarness> {
  const h = await startRunsHarness({ extraFunctions: functions });
  // The runs harness signs the envelope as wflo's server would (an unsigned one is dropped).
  const startSigned = h.start;
  const a: AdapterHarness = Object.assign(h, {
    start: (event: string, envelope: WfloEnvelope = {}) => startSigned(event, { envelope }),
    finished: (runId: string) =>
      h.until(`run ${runId} to finish`, async () => {
        const r = (await h.fresh.db.select().from(runs).where(eq(runs.id, runId)))[0];
        return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
      }),
    callsOf: (runId: string) =>
      h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.createdAt)),
    stepsOf: async (runId: string) =>
      (
        await h.fresh.db
          .select({ id: runSteps.stepId, status: runSteps.status })
          .from(runSteps)
          .where(eq(runSteps.runId, runId))
      )
        .map((s) => `${s.id}=${s.status}`)
        .sort(),
    checkpointsOf: (runId: string, namePrefix?: string) =>
      h.fresh.db
        .select()
        .from(stateSnapshots)
        .where(
          namePrefix === undefined
            ? eq(stateSnapshots.runId, runId)
            : and(eq(stateSnapshots.runId, runId), like(stateSnapshots.name, `${namePrefix}%`)),
        )
        .orderBy(asc(stateSnapshots.version)),
    async completed(event: string, envelope?: WfloEnvelope) {
      const runId = await a.start(event, envelope);
      const run = await a.finished(runId);
      expect(run.error).toBeNull();
      expect(run.status).toBe("completed");
      return { runId, run };
    },
  });
  return a;
}

/**
 * A framework adapter test's prologue in one call, at its top level right after claiming the
 * engine port (like `openHarness`): starts the local provider server, lets `load` import the test
 * functions and point them at it, starts the adapter harness with them, and closes both after the
 * file's tests.
 *
 *   const { h, providers, fns } = await openAdapterHarness(async (providers) => {
 *     const fns = await import("./testing/mastra-functions");
 *     fns.mastraProvider.openai = providers.openaiBaseUrl;
 *     return { fns, functions: fns.mastraTestFunctions };
 *   });
 */
export async function openAdapterHarness<F>(
  load: (providers: ProviderServer) => Promise<{ fns: F; functions: readonly InngestFunction.Any[] }>,
): Promise<{ h: AdapterHarness; providers: ProviderServer; fns: F }> {
  const providers = await startProviderServer();
  afterAll(() => providers.close());
  const { fns, functions } = await load(providers);
  // Top-level code has no hook timeout: a harness that never comes up fails the file instead of hanging it.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the adapter test harness did not start within 90 s")), 90_000);
  });
  const h = await Promise.race([startAdapterHarness(functions), timeout]).finally(() => clearTimeout(timer));
  afterAll(() => h.close());
  return { h, providers, fns };
}

/** The local provider server's accounting: o200k tokens of a text, and of turns (+4 framing each). */
export const tok = (s: string) => countTokens(s, "gpt-4o");
export const turns = (...texts: string[]) => texts.reduce((n, t) => n + tok(t) + 4, 0);
/** The usage fields a text-only call leaves at zero, for `costOf`. */
export const NO_CACHE_OR_REASONING = { cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
/** The exact catalogue cost (nano-dollars) of a text-only call. */
export const price = (model: string, inputTokens: number, outputTokens: number, provider = "openai") =>
  costOf({ inputTokens, outputTokens, ...NO_CACHE_OR_REASONING }, cataloguePrice(model, provider)!.rates);

/**
 * The budget test every adapter shares: `event` started with a 1,000 nano-dollar run budget
 * (below any model call's worst case) fails for the budget before the provider sees a request,
 * runs no tool (`toolRuns`: the test functions' record of tool calls) and records no call.
 */
export async function expectBudgetRefusal(
  h: AdapterHarness,
  providers: ProviderServer,
  event: string,
  toolRuns: readonly unknown[],
): Promise<typeof runs.$inferSelect> {
  const before = providers.requests.length;
  const toolsBefore = toolRuns.length;
  const runId = await h.start(event, { budgetNano: "1000" });
  const run = await h.finished(runId);
  expect(run.status).toBe("failed");
  expect(run.error?.message).toMatch(/budget/i);
  expect(providers.requests.length).toBe(before);
  expect(toolRuns.length).toBe(toolsBefore);
  expect(await h.callsOf(runId)).toEqual([]);
  return run;
}

/**
 * The crash-retry test the agent adapters share: `event`'s workflow crashes once after its
 * first agent finished, and the retry (attempt 2) replays that agent from its memoised steps.
 * Two provider requests in all, the tool ran once with `toolInput`, the calls recorded are `stepIds`.
 */
export async function expectReplayedAfterCrash(
  h: AdapterHarness,
  providers: ProviderServer,
  event: string,
  expected: { toolRuns: readonly unknown[]; toolInput: string; stepIds: string[] },
): Promise<typeof runs.$inferSelect> {
  const before = providers.requests.length;
  const runId = await h.start(event);
  const run = await h.finished(runId);
  expect(run.status).toBe("completed");
  expect(run.attempts).toBe(2);
  expect(providers.requests.length - before).toBe(2);
  expect(expected.toolRuns.filter((t) => t === expected.toolInput)).toEqual([expected.toolInput]);
  expect((await h.callsOf(runId)).map((c) => c.stepId)).toEqual(expected.stepIds);
  return run;
}
