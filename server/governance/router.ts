import { runIdInput } from "@/server/runs/schemas";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { workflowOptions } from "@/server/workflows/catalog";
import { notificationsRouter } from "@/server/notifications/router";
import { runStopReason } from "@/server/runs/stop";
import { createBudgetInput, deleteBudgetInput, updateBudgetInput } from "./budgets/schemas";
import { createBudget, deleteBudget, listBudgets, updateBudget } from "./budgets/service";
import { budgetTimeZone } from "./budgets/timezone";
import { setGuardsInput, workflowIdInput } from "./guards/schemas";
import { listGuards, resetBreaker, setGuards } from "./guards/service";
import { searchCatalogue, searchCatalogueInput } from "./pricing/catalogue-list";
import { modelKeyInput, setAllowUnpricedInput, setModelPriceInput } from "./pricing/schemas";
import {
  getGovernanceSettings,
  listModelPrices,
  modelPriceHistory,
  removeModelPrice,
  setAllowUnpricedModels,
  setModelPrice,
} from "./pricing/service";
import { costOverTimeInput, getCostBreakdown, getCostOverTime } from "./reports";
import { getSpendSummary } from "./spend";

/**
 * Cost governance over tRPC. Each procedure declares its service's own schema as `.input`
 * (bad input: "field: rule", the fields as data) and hands the parsed value on; permissions: reads
 * `budgets:read` (money on the dashboard: `dashboard:read`, a run's cost: `runs:read`),
 * budgets and guards `budgets:manage`, prices and the unpriced switch `settings:manage`,
 * closing a tripped breaker `guards:reset`.
 */
const actorOf = (u: { id: string; email: string }) => ({ id: u.id, email: u.email });

const budgetsRouter = createTRPCRouter({
  /** Every budget with its current window's spend. */
  list: requirePermission("budgets:read").query(async ({ ctx }) => ({
    budgets: await listBudgets(ctx.db),
    timeZone: budgetTimeZone(),
  })),
  create: requirePermission("budgets:manage")
    .input(createBudgetInput)
    .mutation(async ({ ctx, input }) =>
      createBudget(
        ctx.db,
        actorOf(ctx.user),
        input,
        (await workflowOptions()).map((w) => w.id),
      ),
    ),
  /** Optimistic: a stale `expectedVersion` gets CONFLICT naming the current version. */
  update: requirePermission("budgets:manage")
    .input(updateBudgetInput)
    .mutation(({ ctx, input }) => updateBudget(ctx.db, actorOf(ctx.user), input)),
  delete: requirePermission("budgets:manage")
    .input(deleteBudgetInput)
    .mutation(async ({ ctx, input }) => {
      await deleteBudget(ctx.db, actorOf(ctx.user), input);
      return { deleted: true };
    }),
});

const modelsRouter = createTRPCRouter({
  /** The price catalogue (plus wflo's simulated model), searched; overridden models are flagged. */
  search: requirePermission("budgets:read")
    // No input at all: the first page of everything.
    .input(searchCatalogueInput.prefault({}))
    .query(async ({ ctx, input }) => {
      const result = searchCatalogue(input);
      const overrides = await listModelPrices(ctx.db);
      const active = new Set(overrides.filter((o) => !o.removed).map((o) => `${o.provider}/${o.model}`));
      return {
        ...result,
        items: result.items.map((m) => ({ ...m, overridden: active.has(`${m.provider}/${m.model.toLowerCase()}`) })),
      };
    }),
  /** Admin prices: the latest version of every overridden or custom model. */
  overrides: requirePermission("budgets:read").query(({ ctx }) => listModelPrices(ctx.db)),
  history: requirePermission("budgets:read")
    .input(modelKeyInput)
    .query(({ ctx, input }) => modelPriceHistory(ctx.db, input)),
  setPrice: requirePermission("settings:manage")
    .input(setModelPriceInput)
    .mutation(({ ctx, input }) => setModelPrice(ctx.db, actorOf(ctx.user), input)),
  removePrice: requirePermission("settings:manage")
    .input(modelKeyInput)
    .mutation(({ ctx, input }) => removeModelPrice(ctx.db, actorOf(ctx.user), input)),
  settings: requirePermission("budgets:read").query(({ ctx }) => getGovernanceSettings(ctx.db)),
  setAllowUnpriced: requirePermission("settings:manage")
    .input(setAllowUnpricedInput)
    .mutation(({ ctx, input }) => setAllowUnpricedModels(ctx.db, actorOf(ctx.user), input)),
});

const guardsRouter = createTRPCRouter({
  /** Every served workflow with its guards (null limits: off) and breaker state. */
  list: requirePermission("budgets:read").query(async ({ ctx }) => {
    const saved = new Map((await listGuards(ctx.db)).map((g) => [g.workflowId, g]));
    return (await workflowOptions()).map((w) => ({
      workflowId: w.id,
      workflowName: w.name,
      guards: saved.get(w.id) ?? null,
    }));
  }),
  set: requirePermission("budgets:manage")
    .input(setGuardsInput)
    .mutation(async ({ ctx, input }) =>
      setGuards(
        ctx.db,
        actorOf(ctx.user),
        input,
        (await workflowOptions()).map((w) => w.id),
      ),
    ),
  resetBreaker: requirePermission("guards:reset")
    .input(workflowIdInput)
    .mutation(({ ctx, input }) => resetBreaker(ctx.db, actorOf(ctx.user), input)),
});

export const governanceRouter = createTRPCRouter({
  budgets: budgetsRouter,
  models: modelsRouter,
  guards: guardsRouter,
  notifications: notificationsRouter,
  /** What a run cost (total, budget, remaining, by model / step / agent) and why governance stopped it, if it did. */
  costBreakdown: requirePermission("runs:read")
    .input(runIdInput)
    .query(async ({ ctx, input }) => ({
      ...(await getCostBreakdown(ctx.db, input.runId)),
      stop: await runStopReason(ctx.db, input.runId),
    })),
  /** Dashboard series from the hourly rollup, by model, provider or workflow. */
  costOverTime: requirePermission("dashboard:read")
    .input(costOverTimeInput)
    .query(({ ctx, input }) => getCostOverTime(ctx.db, input)),
  spendSummary: requirePermission("dashboard:read").query(({ ctx }) => getSpendSummary(ctx.db)),
});
