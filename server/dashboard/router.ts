import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { overviewInput } from "./schemas";
import { dashboardOverview } from "./service";

export const dashboardRouter = createTRPCRouter({
  overview: requirePermission("dashboard:read")
    .input(overviewInput)
    .query(({ ctx, input }) => dashboardOverview(ctx.db, input.range)),
});
