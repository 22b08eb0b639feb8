import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("workflows:read");
  return (
    <>
      <PageHeader title="Workflows" description="The durable workflows this app serves." />
      <EmptyState title="No workflows registered">Workflows served at /api/inngest appear here.</EmptyState>
    </>
  );
}
