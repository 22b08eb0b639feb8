import { Suspense } from "react";
import { effectiveFilters, toQueryInput } from "@/components/runs/filters";
import { RunsTable } from "@/components/runs/runs-table";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { workflowOptions } from "@/server/workflows/catalog";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function RunsPage({ searchParams }: { searchParams: SearchParams }) {
  await requirePageUser("runs:read");
  // Awaited so the first page is in the HTML; the table asks for the same input, from the same URL.
  await prefetch(
    trpc.runs.list.infiniteQueryOptions(toQueryInput(effectiveFilters(await searchParams)), {
      getNextPageParam: (p) => p.nextCursor,
    }),
  );
  return (
    <HydrateClient>
      <PageHeader
        title="Runs"
        description="Every execution of every workflow: who started it, where it is now, and how long it took."
      />
      {/* The table reads its filters from the URL. */}
      <Suspense>
        <RunsTable workflows={await workflowOptions()} />
      </Suspense>
    </HydrateClient>
  );
}
