import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("policies:read");
  return (
    <>
      <PageHeader title="Policies" description="Ordered rules that decide which steps run, which wait for a person, and which are denied." />
      <EmptyState title="No policies yet">Policy rules appear here.</EmptyState>
    </>
  );
}
