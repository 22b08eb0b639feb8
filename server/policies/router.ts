import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { POLICY_VARIABLES, savePolicyInput, testPolicyInput } from "./schemas";
import { currentPolicy, listPolicyVersions, savePolicy, testPolicy } from "./service";

export const policiesRouter = createTRPCRouter({
  /** The rules in force and the variables a condition may use. */
  current: requirePermission("policies:read").query(async ({ ctx }) => ({
    ...(await currentPolicy(ctx.db)),
    variables: POLICY_VARIABLES,
  })),
  versions: requirePermission("policies:read").query(({ ctx }) => listPolicyVersions(ctx.db)),
  /** Pure: evaluates a sample request; nothing is written. */
  test: requirePermission("policies:read")
    .input(testPolicyInput)
    .mutation(({ ctx, input }) => testPolicy(ctx.db, input.rules, input.request)),
  save: requirePermission("policies:manage")
    .input(savePolicyInput)
    .mutation(({ ctx, input }) => savePolicy(ctx.db, ctx.user, input)),
});
