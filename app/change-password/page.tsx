import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/users/account-forms";
import { Card } from "@/components/ui/card";
import { currentUser } from "@/server/auth/session";

/**
 * Outside the panel's layout on purpose: the layout sends a user who must change their
 * password here, and this page must not send them back.
 */
export default async function ChangePasswordPage() {
  const user = await currentUser();
  if (!user) redirect("/signin?callbackUrl=/change-password");
  if (!user.mustChangePassword) redirect("/settings/account");
  return (
    <div className="grid min-h-screen place-items-center bg-slate-100 px-4 dark:bg-slate-950">
      <div className="w-full max-w-sm">
        <Card className="p-6">
          <h1 className="text-lg font-semibold">Choose your own password</h1>
          <p className="mt-1 text-sm text-slate-500">
            The password of {user.email} was generated or reset by an admin. Choose your own to continue.
          </p>
          <div className="mt-4">
            <ChangePasswordForm email={user.email} then="/" />
          </div>
        </Card>
      </div>
    </div>
  );
}
