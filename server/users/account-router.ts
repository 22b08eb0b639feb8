import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { changeOwnPassword, changePasswordInput, signOutEverywhere } from "./account";

/** The signed-in user's own account. Both calls work while a password change is required. */
export const accountRouter = createTRPCRouter({
  changePassword: requirePermission("account:manage")
    .meta({ duringPasswordChange: true })
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.db, ctx.user, input)),
  signOutEverywhere: requirePermission("account:manage")
    .meta({ duringPasswordChange: true })
    .mutation(({ ctx }) => signOutEverywhere(ctx.db, ctx.user)),
});
