import { z } from "zod";
import { usdToNano } from "@/server/governance/money";

const workflowId = z
  .string({ error: "workflowId is required" })
  .trim()
  .min(1, "workflowId must not be blank")
  .max(200, "workflowId must be at most 200 characters");

/** A positive whole-number limit, or null for "off". */
const limit = (field: string, max: number) =>
  z
    .number({ error: `${field} must be a whole number or empty` })
    .int(`${field} must be a whole number`)
    .min(1, `${field} must be at least 1 (leave it empty to turn the guard off)`)
    .max(max, `${field} must be at most ${max}`)
    .nullable();

const burnLimitUsd = z
  .union([z.number(), z.string()], { error: "burnLimitUsd must be a number of US dollars or empty" })
  .transform((v, ctx) => {
    try {
      const n = usdToNano(v, "burnLimitUsd");
      if (n === 0n) {
        ctx.addIssue({
          code: "custom",
          message: "burnLimitUsd must be more than 0 (leave it empty to turn the breaker off)",
        });
        return z.NEVER;
      }
      return n;
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message.replace("burnLimitUsd: ", "burnLimitUsd ") });
      return z.NEVER;
    }
  })
  .nullable();

export const setGuardsInput = z
  .object({
    workflowId,
    /** 0 when no guards were saved yet for the workflow; otherwise the version the editor read. */
    expectedVersion: z
      .number({ error: "expectedVersion is required" })
      .int("expectedVersion must be a whole number")
      .min(0, "expectedVersion must not be negative"),
    maxLlmCallsPerRun: limit("maxLlmCallsPerRun", 100_000),
    maxStepsPerRun: limit("maxStepsPerRun", 100_000),
    maxIdenticalCalls: limit("maxIdenticalCalls", 10_000),
    burnWindowMinutes: limit("burnWindowMinutes", 7 * 24 * 60),
    burnLimitUsd,
  })
  .superRefine((g, ctx) => {
    if ((g.burnWindowMinutes === null) !== (g.burnLimitUsd === null)) {
      ctx.addIssue({
        code: "custom",
        path: [g.burnWindowMinutes === null ? "burnWindowMinutes" : "burnLimitUsd"],
        message: "the burn-rate breaker needs both a window (minutes) and a limit (USD), or neither",
      });
    }
  });

export const workflowIdInput = z.object({ workflowId });
