import type { Role } from "@/db/schema";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string; role: Role; mustChangePassword?: boolean };
  }
  interface User {
    role?: Role;
    /** users.session_version when the password was verified; copied into the JWT. */
    sessionVersion?: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    uid?: string;
    /** users.session_version at sign-in; the session is refused once the row's moves on. */
    sv?: number;
  }
}
