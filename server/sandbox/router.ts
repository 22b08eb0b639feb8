import { z } from "zod";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { runIdInput } from "@/server/runs/schemas";
import { listRunExecutions } from "./executions";
import { getSandboxPolicy, policyInput, setSandboxPolicy } from "./policy";
import { allSandboxProviders, configuredProviderName } from "./providers";
import { SandboxUnavailableError } from "./types";

/**
 * Sandboxed execution over tRPC: a run's executions (`runs:read`), a workflow's policy
 * (`workflows:read`; changed with `settings:manage`, audited) and which providers can run here.
 */
const workflowIdInput = z.object({
  workflowId: z
    .string({ error: "workflowId is required" })
    .trim()
    .min(1, "workflowId must not be blank")
    .max(200, "workflowId must be at most 200 characters"),
});

export const sandboxRouter = createTRPCRouter({
  /** Every execution of a run, in order: code, limits, outcome, output, files, usage. */
  byRun: requirePermission("runs:read")
    .input(runIdInput)
    .query(({ ctx, input }) => listRunExecutions(ctx.db, input.runId)),
  policy: requirePermission("workflows:read")
    .input(workflowIdInput)
    .query(({ ctx, input }) => getSandboxPolicy(ctx.db, input.workflowId)),
  setPolicy: requirePermission("settings:manage")
    .input(policyInput)
    .mutation(({ ctx, input }) => setSandboxPolicy(ctx.db, { id: ctx.user.id, email: ctx.user.email }, input)),
  /** Which providers exist, which is the default, and whether each can run here (and if not, what is missing). */
  providers: requirePermission("workflows:read").query(async () => {
    const configured = configuredProviderName();
    return Promise.all(
      allSandboxProviders().map(async (p) => {
        try {
          await p.ensureAvailable();
          return {
            name: p.name,
            isolation: p.isolation,
            languages: p.languages,
            default: p.name === configured,
            available: true,
            missing: null,
          };
        } catch (e) {
          return {
            name: p.name,
            isolation: p.isolation,
            languages: p.languages,
            default: p.name === configured,
            available: false,
            missing: e instanceof SandboxUnavailableError ? e.missing : String(e),
          };
        }
      }),
    );
  }),
});
