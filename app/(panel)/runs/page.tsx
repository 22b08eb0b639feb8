import { Suspense } from "react";
import { RunsTable } from "@/components/runs/runs-table";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";
import { workflowOptions } from "@/server/workflows/catalog";

export default async function RunsPage() {
  await requirePageUser("runs:read");
  return (
    <>
      <PageHeader title="Runs" description="Every execution of every workflow: who started it, where it is now, and how long it took." />
      {/* The table reads its filters from the URL. */}
      <Suspense>
        <RunsTable workflows={workflowOptions()} />
      </Suspense>
    </>
  );
}
