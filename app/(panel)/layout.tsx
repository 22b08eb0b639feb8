import { redirect } from "next/navigation";
import { Sidebar } from "@/components/shell/sidebar";
import { ROLE_PERMISSIONS } from "@/server/auth/permissions";
import { currentUser } from "@/server/auth/session";

export default async function PanelLayout({ children }: { children: React.ReactNode }) {
  const user = await currentUser();
  if (!user) redirect("/signin");
  // Every panel page: a generated or reset password must be replaced first (the page lives outside this layout).
  if (user.mustChangePassword) redirect("/change-password");
  return (
    <div className="flex min-h-screen">
      <Sidebar user={user} permissions={[...ROLE_PERMISSIONS[user.role]]} />
      <main className="min-w-0 flex-1 px-8 py-7">{children}</main>
    </div>
  );
}
