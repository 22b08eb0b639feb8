import { WorkflowList } from "@/components/workflows/workflow-list";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";
import { executorLabel, llmIsSimulated } from "@/server/workflows/catalog";

export default async function WorkflowsPage() {
  const user = await requirePageUser("workflows:read");
  prefetch(trpc.workflows.list.queryOptions());
  const simulated = llmIsSimulated();
  return (
    <HydrateClient>
      <PageHeader
        title="Workflows"
        description={`The durable workflows this app serves at /api/inngest, run by ${executorLabel()}.${simulated ? " LLM calls use the simulated provider until a model provider key is configured." : ""}`}
      />
      <WorkflowList canTrigger={can(user.role, "runs:trigger")} />
    </HydrateClient>
  );
}
