import { z } from "zod";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { DomainError } from "@/server/errors";
import { workflowRunStats } from "@/server/runs/queries";
import { llmIsSimulated } from "./catalog";
import { workflowCatalog, type CatalogWorkflow } from "./workflow-catalog";

/** What the panel needs to list a workflow and draw its trigger form. */
function describeWorkflow(w: CatalogWorkflow) {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    triggers: [{ event: w.event }],
    retries: w.retries ?? null,
    usesLlm: Boolean(w.usesLlm),
    /** Its LLM calls currently go to the simulated provider. */
    simulatedLlm: Boolean(w.usesLlm) && llmIsSimulated(),
    // "input" side: fields with defaults are optional to the person filling the form.
    // Round-tripped through JSON: toJSONSchema's objects are not plain enough for server-to-client props.
    inputSchema: JSON.parse(JSON.stringify(z.toJSONSchema(w.input, { io: "input" }))) as Record<string, unknown>,
  };
}

const workflowIdInput = z.object({
  workflowId: z
    .string({ error: "workflowId is required" })
    .trim()
    .min(1, "workflowId is required")
    .max(200, "workflowId must be at most 200 characters"),
});

export const workflowsRouter = createTRPCRouter({
  list: requirePermission("workflows:read").query(async ({ ctx }) => {
    const stats = await workflowRunStats(ctx.db);
    return (await workflowCatalog()).list().map((w) => ({
      ...describeWorkflow(w),
      stats: stats.get(w.id) ?? { total: 0, active: 0, failed: 0, lastStartedAt: null },
    }));
  }),
  get: requirePermission("workflows:read")
    .input(workflowIdInput)
    .query(async ({ input }) => {
      const w = (await workflowCatalog()).find(input.workflowId);
      if (!w) throw new DomainError("not_found", `no workflow named "${input.workflowId}"`);
      return describeWorkflow(w);
    }),
});
