import { Suspense } from "react";
import { RunsOverview } from "@/components/dashboard/runs-overview";
import { SpendOverview } from "@/components/dashboard/spend-overview";
import { Stat } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { serverCaller } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";

export default async function DashboardPage() {
  const user = await requirePageUser("dashboard:read");
  const status = await (await serverCaller()).system.status();
  return (
    <>
      <PageHeader
        title="Dashboard"
        description={`Signed in as ${user.email}. Everything your agents do, what it costs, and what waits for you.`}
      />
      <Suspense>
        <RunsOverview />
      </Suspense>
      {can(user.role, "budgets:read") ? (
        <section className="mt-8" aria-label="LLM spend">
          <h2 className="mb-3 text-sm font-semibold">LLM spend</h2>
          <SpendOverview />
        </section>
      ) : null}
      <div className="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <Stat
          label="Database"
          value={status.database.embedded ? "Embedded" : "External"}
          hint={`PostgreSQL ${status.database.version}`}
        />
        <Stat label="Engine" value={status.engine.label} hint={status.engine.detail} />
        <Stat label="Active users" value={status.activeUsers} />
        <Stat label="Audit events" value={status.auditEvents} hint="Hash-chained, append-only" />
      </div>
    </>
  );
}
