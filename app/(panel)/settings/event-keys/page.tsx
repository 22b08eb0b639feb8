import Link from "next/link";
import { EventKeysAdmin } from "@/components/event-keys/event-keys-admin";
import { PageHeader } from "@/components/ui/page-header";
import { HydrateClient, prefetch, trpc } from "@/server/api/server";
import { requirePageUser } from "@/server/auth/page-guard";
import { env } from "@/server/env";

export default async function EventKeysPage() {
  await requirePageUser("settings:manage");
  await prefetch(trpc.eventKeys.list.queryOptions());
  return (
    <HydrateClient>
      <div className="mb-4">
        <Link href="/settings" className="text-sm text-brand-600 hover:underline">
          ← Settings
        </Link>
      </div>
      <PageHeader
        title="Event keys"
        description="Keys for outside senders to the engine's event intake. Stored as SHA-256 hashes; creating and revoking keys is in the audit log."
      />
      {/* The embedded engine's address (inngest/client.ts embeddedEngineUrl); pages do not import the Inngest client. */}
      <EventKeysAdmin intakeUrl={`http://127.0.0.1:${env.WFLO_ENGINE_PORT}`} />
    </HydrateClient>
  );
}
