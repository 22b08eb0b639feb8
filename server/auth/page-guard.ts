import "server-only";

import { forbidden, redirect } from "next/navigation";
import type { SessionUser } from "@/server/api/trpc";
import { can, type Permission } from "./permissions";
import { currentUser } from "./session";

/** For pages: the server refuses (403) what the role may not see; the sidebar only mirrors this. */
export async function requirePageUser(permission: Permission): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/signin");
  // A generated or reset password is good for one thing: choosing a new one.
  if (user.mustChangePassword) redirect("/change-password");
  if (!can(user.role, permission)) forbidden();
  return user;
}
