"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/errors";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

const SEVERITY: Record<string, Tone> = { critical: "red", warning: "amber", info: "blue" };
const KIND: Record<string, string> = {
  budget_threshold: "Budget threshold",
  budget_exceeded: "Budget exceeded",
  guard_tripped: "Guard tripped",
  breaker_tripped: "Breaker tripped",
};
const DELIVERY: Record<string, string> = {
  pending: "webhook pending",
  delivered: "sent to webhooks",
  failed: "webhook failed",
  skipped: "no webhook configured",
};

/** Budget thresholds, exceeded budgets and runaway trips, newest first; each links to its run. */
export function NotificationsList() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { data } = useSuspenseQuery({
    ...trpc.governance.notifications.list.queryOptions({ limit: 100 }),
    refetchInterval: 5_000,
  });
  const markRead = useMutation(
    trpc.governance.notifications.markRead.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries({ queryKey: trpc.governance.notifications.list.queryKey() });
        void qc.invalidateQueries({ queryKey: trpc.governance.notifications.unreadCount.queryKey() });
      },
    }),
  );
  const unread = data.filter((n) => !n.read).length;
  return (
    <Card>
      <CardHeader
        title={`${data.length} notification${data.length === 1 ? "" : "s"}${unread ? ` · ${unread} unread` : ""}`}
        description="Also sent to the webhooks in WFLO_ALERT_WEBHOOK_URLS, once per threshold and budget window, per stopped run and per breaker trip."
        action={
          unread ? (
            <Button variant="secondary" disabled={markRead.isPending} onClick={() => markRead.mutate({})}>
              Mark all read
            </Button>
          ) : null
        }
      />
      {markRead.error ? (
        <p role="alert" className="px-5 pt-3 text-sm text-rose-600">
          {errorMessage(markRead.error)}
        </p>
      ) : null}
      {data.length === 0 ? (
        <p className="px-5 py-10 text-center text-sm text-slate-500">
          Nothing yet. Budget thresholds, stopped runs and tripped guards appear here.
        </p>
      ) : null}
      <ul className="divide-y divide-slate-100 dark:divide-slate-800">
        {data.map((n) => (
          <li
            key={n.id}
            data-testid="notification"
            className={cn("flex gap-4 px-5 py-3", !n.read && "bg-brand-50/50 dark:bg-brand-700/10")}
          >
            <div className="min-w-0 flex-1">
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={SEVERITY[n.severity] ?? "slate"}>{KIND[n.kind] ?? n.kind}</Badge>
                <span className={cn("text-sm", !n.read && "font-semibold")}>{n.title}</span>
              </div>
              <p className="mt-1 text-sm text-slate-600 dark:text-slate-300">{n.message}</p>
              <div className="mt-1 flex flex-wrap gap-3 text-xs text-slate-500">
                <time dateTime={new Date(n.createdAt).toISOString()}>{new Date(n.createdAt).toLocaleString()}</time>
                {n.runId ? (
                  <Link className="text-brand-600 hover:underline" href={`/runs/${n.runId}`}>
                    Open run
                  </Link>
                ) : null}
                {n.kind === "budget_threshold" ? (
                  <Link className="text-brand-600 hover:underline" href="/budgets">
                    Budgets
                  </Link>
                ) : null}
                <span title={n.lastDeliveryError ?? undefined}>
                  {DELIVERY[n.deliveryStatus] ?? n.deliveryStatus}
                  {n.deliveryAttempts > 1 ? ` (${n.deliveryAttempts} attempts)` : ""}
                </span>
              </div>
            </div>
            {!n.read ? (
              <Button variant="ghost" className="self-start" onClick={() => markRead.mutate({ ids: [n.id] })}>
                Mark read
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}
