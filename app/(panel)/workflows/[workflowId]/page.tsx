import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { effectiveFilters, toQueryInput } from "@/components/runs/filters";
import { RunsTable } from "@/components/runs/runs-table";
import { SimulatedBadge } from "@/components/runs/status-badge";
import { SandboxPolicyCard } from "@/components/workflows/sandbox-policy-card";
import { TriggerForm } from "@/components/workflows/trigger-form";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, serverCaller, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";
import { defaultPolicy } from "@/server/sandbox/policy";
import { workflowExists } from "@/server/workflows/catalog";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function WorkflowPage({
  params,
  searchParams,
}: {
  params: Promise<{ workflowId: string }>;
  searchParams: SearchParams;
}) {
  const user = await requirePageUser("workflows:read");
  const { workflowId } = await params;
  if (!(await workflowExists(workflowId))) notFound();
  const wf = await (await serverCaller()).workflows.get({ workflowId });
  const simulated = wf.simulatedLlm;
  const canTrigger = can(user.role, "runs:trigger");
  const canSeeRuns = can(user.role, "runs:read");
  // Awaited so the recent runs are in the HTML, under the same input the table asks for.
  // Awaited: the card reads it with useQuery, so the policy is in the HTML (providers are probed in the browser).
  await prefetch(trpc.sandbox.policy.queryOptions({ workflowId: wf.id }));
  if (canSeeRuns)
    await prefetch(
      trpc.runs.list.infiniteQueryOptions(toQueryInput(effectiveFilters(await searchParams, wf.id)), {
        getNextPageParam: (p) => p.nextCursor,
      }),
    );

  return (
    <HydrateClient>
      <PageHeader
        title={wf.name}
        description={wf.description}
        actions={
          <>
            {wf.usesLlm ? <Badge tone="blue">LLM</Badge> : null}
            {simulated ? <SimulatedBadge /> : null}
            <Link href="/workflows" className="text-sm text-brand-600 hover:underline">
              All workflows
            </Link>
          </>
        }
      />
      <div className="grid gap-6 xl:grid-cols-[26rem_minmax(0,1fr)]">
        <Card className="self-start">
          <CardHeader
            title="Run this workflow"
            description={
              canTrigger
                ? `Sends ${wf.triggers.map((t) => t.event).join(", ")} with this input, as you.`
                : "Your role can look at this workflow but not start it."
            }
          />
          {canTrigger ? (
            <TriggerForm workflowId={wf.id} inputSchema={wf.inputSchema} />
          ) : (
            <p className="px-5 py-4 text-sm text-slate-500">Ask an operator or admin to run it.</p>
          )}
          {simulated ? (
            <p className="border-t border-slate-200 px-5 py-3 text-xs text-slate-500 dark:border-slate-800">
              Its LLM calls go to wflo&apos;s simulated provider: deterministic demo text, marked
              &ldquo;simulated&rdquo; wherever it is shown.
            </p>
          ) : null}
        </Card>
        {canSeeRuns ? (
          <div>
            <h2 className="mb-3 text-sm font-semibold">Recent runs</h2>
            <Suspense>
              <RunsTable workflows={[{ id: wf.id, name: wf.name }]} fixedWorkflowId={wf.id} showFilters={false} />
            </Suspense>
          </div>
        ) : null}
      </div>
      <div className="mt-6">
        <SandboxPolicyCard
          workflowId={wf.id}
          canManage={can(user.role, "settings:manage")}
          wfloDefaults={defaultPolicy(wf.id)}
        />
      </div>
    </HydrateClient>
  );
}
