import { Suspense } from "react";
import { ApprovalsQueue } from "@/components/approvals/approvals-queue";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function Page() {
  await requirePageUser("approvals:read");
  return (
    <>
      <PageHeader
        title="Approvals"
        description="Risky steps wait here for a person with the right role. Policy decides what waits; every decision is in the audit log."
      />
      <Suspense>
        <ApprovalsQueue />
      </Suspense>
    </>
  );
}
