import { eq } from "drizzle-orm";
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import { z } from "zod";
import { getDb } from "@/db/client";
import { ROLES, users, type Role } from "@/db/schema";
import { writeAudit } from "@/server/audit/chain";
import { log } from "@/server/log";
import { safeRedirect } from "./callback-url";
import { clientAddressFrom } from "./client-address";
import { dummyPasswordHash, verifyPassword } from "./password";
import { revokeSessionsOf, sessionUserFor } from "./session-version";
import { clearAccountFailures, isSignInBlocked, recordSignInFailure, SIGN_IN_LIMITS } from "./rate-limit";
import { env } from "@/server/env";

export const SESSION_MAX_AGE_S = env.WFLO_SESSION_MAX_AGE;

const credentialsInput = z.object({
  email: z.string().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(256),
});

/** Messages shown on the sign-in page; the same text for unknown email and wrong password. */
export const SIGN_IN_ERRORS = {
  invalid: "Wrong email or password",
  locked: `Too many failed sign-ins. Try again in ${Math.round(SIGN_IN_LIMITS.windowMs / 60_000)} minutes.`,
} as const;

function oidcProvider(): OAuthConfig<Record<string, unknown>> | null {
  const issuer = env.WFLO_OIDC_ISSUER;
  const clientId = env.WFLO_OIDC_CLIENT_ID;
  const clientSecret = env.WFLO_OIDC_CLIENT_SECRET;
  if (!issuer || !clientId || !clientSecret) return null;
  return {
    id: "oidc",
    name: env.WFLO_OIDC_NAME,
    type: "oauth",
    wellKnown: `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    clientId,
    clientSecret,
    profile(p) {
      return { id: String(p.sub), email: String(p.email ?? ""), name: String(p.name ?? p.email ?? "") };
    },
  };
}

function oidcDefaultRole(): Role {
  const r = env.WFLO_OIDC_DEFAULT_ROLE;
  return (ROLES as readonly string[]).includes(r) ? (r as Role) : "viewer";
}

export function getAuthOptions(): NextAuthOptions {
  const oidc = oidcProvider();
  return {
    secret: env.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S, updateAge: 15 * 60 },
    jwt: { maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/signin", error: "/signin" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(raw, req) {
          const parsed = credentialsInput.safeParse(raw);
          if (!parsed.success) throw new Error(SIGN_IN_ERRORS.invalid);
          const { email, password } = parsed.data;
          const address = clientAddressFrom(req?.headers as Record<string, unknown> | undefined);
          const db = getDb();
          if (await isSignInBlocked(db, email, address)) {
            log.warn({ email, address }, "sign-in refused: rate limited");
            throw new Error(SIGN_IN_ERRORS.locked);
          }
          const [u] = await db.select().from(users).where(eq(users.email, email));
          const ok = await verifyPassword(u?.passwordHash ?? (await dummyPasswordHash()), password);
          if (!u || !ok || !u.active) {
            await recordSignInFailure(db, email, address);
            log.info({ email, address }, "sign-in failed");
            throw new Error(SIGN_IN_ERRORS.invalid);
          }
          await clearAccountFailures(db, email);
          await db.update(users).set({ lastSignInAt: new Date() }).where(eq(users.id, u.id));
          return { id: u.id, email: u.email, name: u.name, role: u.role, sessionVersion: u.sessionVersion };
        },
      }),
      ...(oidc ? [oidc] : []),
    ],
    callbacks: {
      // The default would send `//evil.example` on as a path; only same-origin paths are allowed.
      redirect: ({ url, baseUrl }) => safeRedirect(url, baseUrl),
      async signIn({ user, account }) {
        if (account?.provider !== "oidc") return true;
        const email = user.email?.toLowerCase();
        if (!email) return false;
        const db = getDb();
        const [existing] = await db.select().from(users).where(eq(users.email, email));
        if (existing) return existing.active;
        // First SSO sign-in provisions the user with the configured default role.
        await db.transaction(async (tx) => {
          const [created] = await tx
            .insert(users)
            .values({ email, name: user.name ?? "", role: oidcDefaultRole(), passwordHash: null })
            .returning();
          if (created)
            await writeAudit(
              tx,
              { id: created.id, email },
              {
                action: "user.sso_provision",
                targetType: "user",
                targetId: created.id,
                after: { email, role: created.role },
              },
            );
        });
        return true;
      },
      async jwt({ token, user, account }) {
        if (user && account) {
          if (account.provider === "oidc") {
            const [u] = await getDb()
              .select({ id: users.id, sessionVersion: users.sessionVersion })
              .from(users)
              .where(eq(users.email, String(user.email).toLowerCase()));
            token.uid = u?.id;
            token.sv = u?.sessionVersion;
          } else {
            // The version read with the verified password: a reset racing this sign-in still wins.
            token.uid = user.id;
            token.sv = user.sessionVersion;
          }
        }
        return token;
      },
      /** Every request: the user read fresh, refused when deactivated or when the session was revoked. */
      async session({ session, token }) {
        const user = await sessionUserFor(getDb(), token);
        if (!user) return { ...session, user: undefined as never };
        session.user = user;
        return session;
      },
    },
    events: {
      // A signed-out cookie must not keep working if someone copied it: signing out ends the
      // user's sessions (on every device; the account page says so).
      async signOut({ token }) {
        if (token) await revokeSessionsOf(getDb(), token);
      },
    },
    logger: {
      error: (code, meta) =>
        log.error({ code, err: meta instanceof Error ? meta.message : undefined }, "next-auth error"),
      warn: (code) => log.warn({ code }, "next-auth warning"),
      debug: () => {},
    },
  };
}
