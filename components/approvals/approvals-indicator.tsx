"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";

/** Pending approvals beside the sidebar item, polled so new requests show without a reload. */
export function ApprovalsIndicator() {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.approvals.pendingCount.queryOptions(), refetchInterval: 4_000 });
  if (!data?.pending) return null;
  return (
    <span
      role="status"
      data-testid="approvals-pending"
      aria-label={`${data.pending} pending approval${data.pending === 1 ? "" : "s"}`}
      className="ml-auto rounded-full bg-amber-500 px-1.5 py-0.5 text-xs font-semibold tabular-nums text-white"
    >
      {data.pending > 99 ? "99+" : data.pending}
    </span>
  );
}
