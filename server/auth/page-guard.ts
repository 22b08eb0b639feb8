import "server-only";

import { forbidden, redirect } from "next/navigation";
import type { SessionUser } from "@/server/api/trpc";
import { can, type Permission } from "./permissions";
import { currentUser } from "./session";

/** For pages: the server refuses (403) what the role may not see; the sidebar only mirrors this. */
export async function requirePageUser(permission: Permission): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/signin");
  if (!can(user.role, permission)) forbidden();
  return user;
}
