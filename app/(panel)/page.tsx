import Link from "next/link";
import { Card, CardHeader, Stat } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { serverCaller } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function DashboardPage() {
  const user = await requirePageUser("dashboard:read");
  const status = await (await serverCaller()).system.status();
  return (
    <>
      <PageHeader title="Dashboard" description={`Signed in as ${user.email}. Everything your agents do, what it costs, and what waits for you.`} />
      <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-4">
        <Stat label="Database" value={status.database.embedded ? "Embedded" : "External"} hint={`PostgreSQL ${status.database.version}`} />
        <Stat label="Active users" value={status.activeUsers} />
        <Stat label="Audit events" value={status.auditEvents} hint="Hash-chained, append-only" />
        <Stat label="Server up since" value={status.startedAt.toLocaleTimeString("en-GB", { timeZone: "UTC" })} hint="UTC" />
      </div>
      <Card className="mt-6">
        <CardHeader title="Getting started" />
        <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800">
          <li className="px-5 py-3"><Link className="font-medium text-brand-600 hover:underline" href="/workflows">Workflows</Link> lists what this app can run; trigger one to see it in <Link className="font-medium text-brand-600 hover:underline" href="/runs">Runs</Link>.</li>
          <li className="px-5 py-3"><Link className="font-medium text-brand-600 hover:underline" href="/settings">Settings</Link> is where admins add people and give them roles.</li>
          <li className="px-5 py-3"><Link className="font-medium text-brand-600 hover:underline" href="/audit">Audit</Link> records every change, chained by SHA-256 so tampering shows.</li>
        </ul>
      </Card>
    </>
  );
}
