import { ModelsPrices } from "@/components/governance/models-prices";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";

export default async function Page() {
  const user = await requirePageUser("budgets:read");
  prefetch(trpc.governance.models.overrides.queryOptions());
  prefetch(trpc.governance.models.settings.queryOptions());
  return (
    <HydrateClient>
      <PageHeader
        title="Models & prices"
        description="What every LLM call is charged: the bundled price catalogue, and admin overrides and custom models, versioned."
      />
      <ModelsPrices canManage={can(user.role, "settings:manage")} />
    </HydrateClient>
  );
}
