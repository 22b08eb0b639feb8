import Link from "next/link";
import { RunDetail } from "@/components/runs/run-detail";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const user = await requirePageUser("runs:read");
  const { runId } = await params;
  // The trace starts loading at once and streams to the browser when ready (the explorer waits for it);
  // the detail is awaited: it renders with plain useQuery, so the HTML has the run only if the data is there first.
  void prefetch(trpc.tracing.get.queryOptions({ runId }));
  await prefetch(trpc.runs.get.queryOptions({ runId }));
  return (
    <HydrateClient>
      <div className="mb-4">
        <Link href="/runs" className="text-sm text-brand-600 hover:underline">
          ← All runs
        </Link>
      </div>
      {/* The buttons mirror the server's rules; the procedures check again. */}
      <RunDetail
        runId={runId}
        canCancel={can(user.role, "runs:cancel")}
        canRerun={can(user.role, "runs:rerun")}
        canSendEvents={can(user.role, "runs:trigger")}
      />
    </HydrateClient>
  );
}
