import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { DomainError } from "@/server/errors";
import { runIdInput } from "@/server/runs/schemas";
import { getTrace } from "./trace";
import type { TraceWire } from "./types";
import { tokensOverTime, tokensOverTimeInput } from "./tokens";

export const tracingRouter = createTRPCRouter({
  /** A run's trace (spans with parent links, redacted), polled by the explorer while the run is live. */
  get: requirePermission("runs:read")
    .input(runIdInput)
    .query(async ({ ctx, input }) => {
      const trace = await getTrace(ctx.db, input.runId);
      if (!trace) throw new DomainError("not_found", `no run or trace with id ${input.runId}`);
      const { spans, ...rest } = trace;
      return { ...rest, spansJson: JSON.stringify(spans) } satisfies TraceWire;
    }),
  /** Tokens per day by model or workflow, for the dashboard's spend chart. */
  tokensOverTime: requirePermission("dashboard:read")
    .input(tokensOverTimeInput)
    .query(({ ctx, input }) => tokensOverTime(ctx.db, input)),
});
