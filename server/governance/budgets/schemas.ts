import { z } from "zod";
import { BUDGET_PERIODS, BUDGET_SCOPES } from "@/db/schema";
import { usdLimitToNano } from "@/server/governance/money";

const limitUsd = z
  .union(
    [
      z.number({ error: "limitUsd must be a number of US dollars" }),
      z.string({ error: "limitUsd must be a number of US dollars" }),
    ],
    {
      error: "limitUsd must be a number of US dollars",
    },
  )
  .transform((v, ctx) => {
    try {
      const n = usdLimitToNano(v, "limitUsd");
      if (n > 100_000_000n * 1_000_000_000n) {
        ctx.addIssue({ code: "custom", message: "limitUsd must be at most 100000000" });
        return z.NEVER;
      }
      return n;
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message.replace("limitUsd: ", "limitUsd ") });
      return z.NEVER;
    }
  });

const thresholds = z
  .array(
    z
      .number({ error: "alert threshold must be a percentage" })
      .int("alert threshold must be a whole percentage")
      .min(1, "alert threshold must be at least 1 (%)")
      .max(100, "alert threshold must be at most 100 (%)"),
    { error: "alertThresholds must be a list of percentages" },
  )
  .max(10, "alertThresholds may hold at most 10 thresholds")
  .transform((t) => [...new Set(t)].sort((a, b) => a - b));

const name = z
  .string({ error: "name is required" })
  .trim()
  .min(1, "name must not be blank")
  .max(100, "name must be at most 100 characters");

export const createBudgetInput = z
  .object({
    name,
    scope: z.enum(BUDGET_SCOPES, { error: `scope must be one of: ${BUDGET_SCOPES.join(", ")}` }),
    /** Which workflow / agent / user / API key / tag; empty for global. */
    scopeValue: z.string().trim().max(200, "scopeValue must be at most 200 characters").default(""),
    period: z.enum(BUDGET_PERIODS, { error: `period must be one of: ${BUDGET_PERIODS.join(", ")}` }),
    limitUsd,
    alertThresholds: thresholds.default([50, 80, 100]),
    enabled: z.boolean().default(true),
  })
  .superRefine((b, ctx) => {
    if (b.scope === "global" && b.scopeValue !== "")
      ctx.addIssue({ code: "custom", path: ["scopeValue"], message: "scopeValue must be empty for a global budget" });
    if (b.scope !== "global" && b.scopeValue === "")
      ctx.addIssue({
        code: "custom",
        path: ["scopeValue"],
        message: `scopeValue must name the ${b.scope.replace("_", " ")} this budget is for`,
      });
  });
export type CreateBudgetInput = z.input<typeof createBudgetInput>;

export const updateBudgetInput = z.object({
  id: z.uuid("id must be a budget id (UUID)"),
  /** The version the editor read: an edit made meanwhile by someone else is not overwritten. */
  expectedVersion: z
    .number({ error: "expectedVersion is required" })
    .int()
    .min(1, "expectedVersion must be at least 1"),
  name: name.optional(),
  limitUsd: limitUsd.optional(),
  alertThresholds: thresholds.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateBudgetInput = z.input<typeof updateBudgetInput>;

export const deleteBudgetInput = z.object({
  id: z.uuid("id must be a budget id (UUID)"),
  expectedVersion: z
    .number({ error: "expectedVersion is required" })
    .int()
    .min(1, "expectedVersion must be at least 1"),
});
