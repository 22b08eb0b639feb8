import { AuditLogTable } from "@/components/audit/audit-log-table";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function AuditPage() {
  await requirePageUser("audit:read");
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Append-only. Each entry carries the SHA-256 of the one before it, so an edited or deleted entry breaks the chain."
      />
      <AuditLogTable />
    </>
  );
}
