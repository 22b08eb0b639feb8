import { NotificationsList } from "@/components/governance/notifications-list";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("dashboard:read");
  prefetch(trpc.governance.notifications.list.queryOptions({ limit: 100 }));
  return (
    <HydrateClient>
      <PageHeader
        title="Notifications"
        description="Money and runaway events: budget thresholds crossed, runs stopped by a budget or a guard, circuit breakers tripped."
      />
      <NotificationsList />
    </HydrateClient>
  );
}
