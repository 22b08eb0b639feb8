import { count, sql } from "drizzle-orm";
import { auditLog, users } from "@/db/schema";
import { embeddedEngineUrl, inngestApiBaseUrl, inngestMode } from "@/server/events/connection";
import { createTRPCRouter, requirePermission } from "@/server/api/trpc";
import { env } from "@/server/env";

const startedAt = new Date();

export const systemRouter = createTRPCRouter({
  /** What the dashboard's status card shows: real readings, taken on each request. */
  status: requirePermission("dashboard:read").query(async ({ ctx }) => {
    const [pg] = await ctx.db.execute<{ version: string }>(sql`select current_setting('server_version') as version`);
    const [u] = await ctx.db.select({ n: count() }).from(users).where(sql`${users.active}`);
    const [a] = await ctx.db.select({ n: count() }).from(auditLog);
    return {
      database: { embedded: !env.WFLO_EXTERNAL_DATABASE, version: pg?.version ?? "unknown" },
      engine: engineDescription(),
      activeUsers: u?.n ?? 0,
      auditEvents: a?.n ?? 0,
      startedAt,
    };
  }),
});

function engineDescription(): { label: string; detail: string } {
  const mode = inngestMode();
  if (mode === "embedded") return { label: "Embedded", detail: `Inngest protocol at ${embeddedEngineUrl()}` };
  if (mode === "dev-server") return { label: "Inngest dev server", detail: inngestApiBaseUrl() };
  return { label: "Inngest", detail: inngestApiBaseUrl() };
}
