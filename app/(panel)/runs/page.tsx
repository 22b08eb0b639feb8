import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("runs:read");
  return (
    <>
      <PageHeader title="Runs" description="Every execution of every workflow, with its steps, cost and trace." />
      <EmptyState title="No runs yet">Runs appear here as soon as a workflow is triggered.</EmptyState>
    </>
  );
}
