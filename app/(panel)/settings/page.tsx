import Link from "next/link";
import { Card, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/server/auth/permissions";
import { requirePageUser } from "@/server/auth/page-guard";
import { SESSION_MAX_AGE_S } from "@/server/auth/options";

export default async function SettingsPage() {
  const user = await requirePageUser("dashboard:read");
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader title="Your account" />
          <dl className="grid grid-cols-3 gap-y-2 px-5 py-4 text-sm">
            <dt className="text-slate-500">Email</dt>
            <dd className="col-span-2">{user.email}</dd>
            <dt className="text-slate-500">Role</dt>
            <dd className="col-span-2">{user.role}</dd>
            <dt className="text-slate-500">Sessions last</dt>
            <dd className="col-span-2">{Math.round(SESSION_MAX_AGE_S / 3600)} hours</dd>
          </dl>
          <div className="border-t border-slate-100 px-5 py-3 dark:border-slate-800">
            <Link href="/settings/account" className="text-sm font-medium text-brand-600 hover:underline">
              Change password, sign out everywhere →
            </Link>
          </div>
        </Card>
        {can(user.role, "users:read") ? (
          <Card>
            <CardHeader title="Users and roles" description="Add people, change their roles, deactivate accounts." />
            <div className="px-5 py-4">
              <Link href="/settings/users" className="text-sm font-medium text-brand-600 hover:underline">
                Manage users →
              </Link>
            </div>
          </Card>
        ) : null}
        {can(user.role, "settings:manage") ? (
          <Card>
            <CardHeader
              title="API keys"
              description="Role-scoped keys for bots and scripts, e.g. approving from Slack."
            />
            <div className="px-5 py-4">
              <Link href="/settings/api-keys" className="text-sm font-medium text-brand-600 hover:underline">
                Manage API keys →
              </Link>
            </div>
          </Card>
        ) : null}
        {can(user.role, "settings:manage") ? (
          <Card>
            <CardHeader
              title="Event keys"
              description="Keys for outside apps that send events to the engine (INNGEST_EVENT_KEY)."
            />
            <div className="px-5 py-4">
              <Link href="/settings/event-keys" className="text-sm font-medium text-brand-600 hover:underline">
                Manage event keys →
              </Link>
            </div>
          </Card>
        ) : null}
      </div>
    </>
  );
}
