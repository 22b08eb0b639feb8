import { PolicyEditor } from "@/components/policies/policy-editor";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";

export default async function Page() {
  const user = await requirePageUser("policies:read");
  await Promise.all([prefetch(trpc.policies.current.queryOptions()), prefetch(trpc.policies.versions.queryOptions())]);
  return (
    <HydrateClient>
      <PageHeader
        title="Policies"
        description="Ordered rules that decide which gated steps run, which wait for a person, and which are denied. Every decision records the rule and version that made it."
      />
      <PolicyEditor canManage={can(user.role, "policies:manage")} />
    </HydrateClient>
  );
}
