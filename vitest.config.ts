import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{app,components,server,db,inngest,scripts,cli,sdk}/**/*.test.ts"],
    globalSetup: ["./db/testing/global-setup.ts"],
    setupFiles: ["./db/testing/setup.ts", "./inngest/testing/catalog-setup.ts"],
    pool: "forks",
    // Engine-backed files run real workflows with real timers; one file at a time keeps a 2-core
    // CI machine from starving them. In CI a failed test gets one more try, and vitest reports it
    // as retried, so a flaky test is visible while a real failure still fails the run.
    fileParallelism: false,
    retry: process.env.CI ? 1 : 0,
    // Engine-backed tests wait for real runs; on a loaded 2-core CI machine those can take a while.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: "test" },
  },
});
