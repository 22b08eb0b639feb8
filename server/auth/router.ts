import { createTRPCRouter, publicProcedure } from "@/server/api/trpc";
import { ROLE_PERMISSIONS } from "./permissions";

export const sessionRouter = createTRPCRouter({
  /** Who is signed in and what they may do, so the UI can mirror the server's rules. */
  me: publicProcedure.query(({ ctx }) => {
    if (!ctx.user) return null;
    return { ...ctx.user, permissions: [...ROLE_PERMISSIONS[ctx.user.role]] };
  }),
});
