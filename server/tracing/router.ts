import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { getTrace } from "./trace";
import type { TraceWire } from "./types";
import { tokensOverTime, tokensOverTimeInput } from "./tokens";

export const traceInput = z.object({ runId: z.string({ error: "runId must be text" }).trim().min(1, "runId must not be empty").max(200, "runId must be at most 200 characters") });

export const tracingRouter = createTRPCRouter({
  /** A run's trace (spans with parent links, redacted), polled by the explorer while the run is live. */
  get: requirePermission("runs:read")
    .input(traceInput)
    .query(async ({ ctx, input }) => {
      const trace = await getTrace(ctx.db, input.runId);
      if (!trace) throw new TRPCError({ code: "NOT_FOUND", message: `no run or trace with id ${input.runId}` });
      const { spans, ...rest } = trace;
      return { ...rest, spansJson: JSON.stringify(spans) } satisfies TraceWire;
    }),
  /** Tokens per day by model or workflow, for the dashboard's spend chart. */
  tokensOverTime: requirePermission("dashboard:read")
    .input(tokensOverTimeInput)
    .query(({ ctx, input }) => tokensOverTime(ctx.db, input)),
});
