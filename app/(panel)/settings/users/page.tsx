import { UsersAdmin } from "@/components/users/users-admin";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function UsersPage() {
  const me = await requirePageUser("users:read");
  prefetch(trpc.users.list.queryOptions());
  return (
    <HydrateClient>
      <PageHeader
        title="Users"
        description="Who can sign in, and what their role lets them do. Every change is written to the audit log."
      />
      <UsersAdmin currentUserId={me.id} />
    </HydrateClient>
  );
}
