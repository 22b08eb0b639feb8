import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("budgets:read");
  return (
    <>
      <PageHeader title="Budgets" description="Spending limits that hold every LLM call before money is spent." />
      <EmptyState title="No budgets yet">Budgets by workflow, agent, user, API key or tag appear here.</EmptyState>
    </>
  );
}
