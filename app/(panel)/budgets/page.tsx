import { BudgetsAdmin } from "@/components/governance/budgets-admin";
import { GuardsAdmin } from "@/components/governance/guards-admin";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";
import { workflowOptions } from "@/server/workflows/catalog";

export default async function Page() {
  const user = await requirePageUser("budgets:read");
  prefetch(trpc.governance.budgets.list.queryOptions());
  prefetch(trpc.governance.guards.list.queryOptions());
  return (
    <HydrateClient>
      <PageHeader
        title="Budgets"
        description="Spending limits that hold every LLM call before money is spent: a call whose worst case could pass a limit is refused and its run stops. Simulated calls count too, so budgets can be tried without provider keys."
      />
      {/* The buttons mirror the server's rules; the procedures check again. */}
      <div className="space-y-6">
        <BudgetsAdmin canManage={can(user.role, "budgets:manage")} workflows={await workflowOptions()} />
        <GuardsAdmin canManage={can(user.role, "budgets:manage")} canReset={can(user.role, "guards:reset")} />
      </div>
    </HydrateClient>
  );
}
