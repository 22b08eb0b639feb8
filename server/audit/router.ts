import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditLog } from "@/db/schema";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { verifyAuditChain } from "./chain";

const listInput = z.object({
  limit: z.number().int().min(1).max(200).default(50),
  cursor: z.number().int().positive().optional(),
  action: z.string().trim().max(100).optional(),
  targetType: z.string().trim().max(100).optional(),
});

export const auditRouter = createTRPCRouter({
  list: requirePermission("audit:read")
    .input(listInput)
    .query(async ({ ctx, input }) => {
      const where: SQL[] = [];
      if (input.cursor) where.push(lt(auditLog.id, input.cursor));
      if (input.action) where.push(eq(auditLog.action, input.action));
      if (input.targetType) where.push(eq(auditLog.targetType, input.targetType));
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(auditLog.id))
        .limit(input.limit + 1);
      const page = rows.slice(0, input.limit);
      return { items: page, nextCursor: rows.length > input.limit ? page.at(-1)?.id : undefined };
    }),
  verify: requirePermission("audit:read").query(({ ctx }) => verifyAuditChain(ctx.db)),
});
