import { DomainError } from "@/server/errors";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { changeRoleInput, createUserInput, resetPasswordInput, setActiveInput } from "./schemas";
import { changeRole, createUser, listUsers, resetPassword, setActive } from "./service";

export const usersRouter = createTRPCRouter({
  list: requirePermission("users:read").query(({ ctx }) => listUsers(ctx.db)),
  create: requirePermission("users:manage")
    .input(createUserInput)
    .mutation(({ ctx, input }) => createUser(ctx.db, ctx.user, input)),
  changeRole: requirePermission("users:manage")
    .input(changeRoleInput)
    .mutation(({ ctx, input }) => changeRole(ctx.db, ctx.user, input.userId, input.role)),
  setActive: requirePermission("users:manage")
    .input(setActiveInput)
    .mutation(({ ctx, input }) => {
      if (input.userId === ctx.user.id && !input.active) {
        throw new DomainError("bad_request", "you cannot deactivate your own account");
      }
      return setActive(ctx.db, ctx.user, input.userId, input.active);
    }),
  resetPassword: requirePermission("users:manage")
    .input(resetPasswordInput)
    .mutation(({ ctx, input }) => resetPassword(ctx.db, ctx.user, input.userId, input.password)),
});
