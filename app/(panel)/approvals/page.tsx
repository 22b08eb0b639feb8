import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("approvals:read");
  return (
    <>
      <PageHeader title="Approvals" description="Risky steps wait here for a person with the right role." />
      <EmptyState title="Nothing waiting">Approval requests from running workflows appear here.</EmptyState>
    </>
  );
}
