import { defineConfig } from "@playwright/test";
import { resolveE2EPorts } from "./scripts/e2e-ports.mjs";

// Free ports unless WFLO_E2E_PORT / WFLO_E2E_ENGINE_PORT / WFLO_E2E_PG_PORT say otherwise (a taken
// one stops the run naming its variable); resolved once and shared with workers via the environment.
const ports = resolveE2EPorts();
export const E2E_PORT = ports.web;
export const E2E_ENGINE_PORT = ports.engine;
export const E2E_ADMIN = { email: "admin@e2e.test", password: "e2e admin password" };

/** Drives the production build (`next start`) in Debian's Chromium; nothing is downloaded. */
export default defineConfig({
  testDir: "./e2e",
  outputDir: ".wflo/e2e-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: ".wflo/reports/playwright.json" }]],
  use: {
    baseURL: `http://localhost:${E2E_PORT}`,
    browserName: "chromium",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "node scripts/start.mjs --no-build",
    url: `http://localhost:${E2E_PORT}/signin`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      PORT: String(E2E_PORT),
      NEXTAUTH_URL: `http://localhost:${E2E_PORT}`,
      WFLO_DATA_DIR: ".wflo/e2e",
      WFLO_PG_PORT: String(ports.pg),
      WFLO_ENGINE_PORT: String(ports.engine),
      WFLO_ADMIN_EMAIL: E2E_ADMIN.email,
      WFLO_ADMIN_PASSWORD: E2E_ADMIN.password,
      WFLO_SIGNIN_MAX_PER_ADDRESS: "1000",
    },
  },
});
