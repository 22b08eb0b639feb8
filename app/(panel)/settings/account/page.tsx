import { ChangePasswordForm, SignOutEverywhereButton } from "@/components/users/account-forms";
import { Card, CardHeader } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/server/auth/page-guard";

export default async function AccountPage() {
  const user = await requirePageUser("account:manage");
  return (
    <>
      <PageHeader title="Your account" description={`${user.email} · ${user.role}`} />
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader
            title="Change password"
            description="Your current password is required. Every session you have ends, on every device; this one signs in again."
          />
          <div className="px-5 py-4">
            <ChangePasswordForm email={user.email} then="/settings/account" />
          </div>
        </Card>
        <Card className="self-start">
          <CardHeader
            title="Sessions"
            description="Signing out ends your sessions on every device. Use this if you signed in somewhere you no longer control."
          />
          <div className="px-5 py-4">
            <SignOutEverywhereButton />
          </div>
        </Card>
      </div>
    </>
  );
}
