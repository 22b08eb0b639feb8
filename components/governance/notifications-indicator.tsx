"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/client";
import { cn } from "@/components/ui/cn";

/** Unread money/runaway notifications beside the sidebar item; red when any is critical. */
export function NotificationsIndicator() {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.governance.notifications.unreadCount.queryOptions(), refetchInterval: 5_000 });
  if (!data?.unread) return null;
  return (
    <span
      role="status"
      data-testid="notifications-unread"
      aria-label={`${data.unread} unread notification${data.unread === 1 ? "" : "s"}`}
      className={cn(
        "ml-auto rounded-full px-1.5 py-0.5 text-xs font-semibold tabular-nums text-white",
        data.critical ? "bg-rose-600" : "bg-brand-600",
      )}
    >
      {data.unread > 99 ? "99+" : data.unread}
    </span>
  );
}
