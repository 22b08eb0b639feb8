import Link from "next/link";
import { notFound } from "next/navigation";
import { ApprovalDetail } from "@/components/approvals/approval-detail";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { can } from "@/server/auth/permissions";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function ApprovalPage({ params }: { params: Promise<{ approvalId: string }> }) {
  const user = await requirePageUser("approvals:read");
  const { approvalId } = await params;
  if (!UUID.test(approvalId)) notFound();
  await prefetch(trpc.approvals.get.queryOptions({ approvalId }));
  return (
    <HydrateClient>
      <div className="mb-4">
        <Link href="/approvals" className="text-sm text-brand-600 hover:underline">
          ← Approvals
        </Link>
      </div>
      {/* The form mirrors the server's rules; approvals.decide checks again. */}
      <ApprovalDetail approvalId={approvalId} canDecide={can(user.role, "approvals:decide")} />
    </HydrateClient>
  );
}
