import { defineConfig } from "@playwright/test";

export const E2E_PORT = Number(process.env.WFLO_E2E_PORT ?? 3100);
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
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
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
      WFLO_PG_PORT: process.env.WFLO_E2E_PG_PORT ?? "54350",
      WFLO_ENGINE_PORT: process.env.WFLO_E2E_ENGINE_PORT ?? "8388",
      WFLO_ADMIN_EMAIL: E2E_ADMIN.email,
      WFLO_ADMIN_PASSWORD: E2E_ADMIN.password,
      WFLO_SIGNIN_MAX_PER_ADDRESS: "1000",
    },
  },
});
