import Link from "next/link";
import { ApiKeysAdmin } from "@/components/apikeys/api-keys-admin";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { workflowOptions } from "@/server/workflows/catalog";

export default async function ApiKeysPage() {
  await requirePageUser("settings:manage");
  await prefetch(trpc.apiKeys.list.queryOptions());
  return (
    <HydrateClient>
      <div className="mb-4">
        <Link href="/settings" className="text-sm text-brand-600 hover:underline">
          ← Settings
        </Link>
      </div>
      <PageHeader
        title="API keys"
        description="Stored as SHA-256 hashes; creating and revoking keys is in the audit log."
      />
      <ApiKeysAdmin workflows={await workflowOptions()} />
    </HydrateClient>
  );
}
