import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { createEventKey, createEventKeyInput, eventKeyIdInput, listEventKeys, revokeEventKey } from "./service";

/** Settings -> Event keys (admins): keys for outside senders to the engine's intake. */
export const eventKeysRouter = createTRPCRouter({
  list: requirePermission("settings:manage").query(({ ctx }) => listEventKeys(ctx.db)),
  create: requirePermission("settings:manage")
    .input(createEventKeyInput)
    .mutation(({ ctx, input }) => createEventKey(ctx.db, ctx.user, input)),
  revoke: requirePermission("settings:manage")
    .input(eventKeyIdInput)
    .mutation(({ ctx, input }) => revokeEventKey(ctx.db, ctx.user, input.keyId)),
});
