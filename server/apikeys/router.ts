import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { apiKeyIdInput, createApiKey, createApiKeyInput, listApiKeys, revokeApiKey } from "./service";

/** Settings -> API keys (admins). */
export const apiKeysRouter = createTRPCRouter({
  list: requirePermission("settings:manage").query(({ ctx }) => listApiKeys(ctx.db)),
  create: requirePermission("settings:manage")
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.user, input)),
  revoke: requirePermission("settings:manage")
    .input(apiKeyIdInput)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.user, input.keyId)),
});
