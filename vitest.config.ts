import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["{app,components,server,db,inngest,scripts,cli}/**/*.test.ts"],
    globalSetup: ["./db/testing/global-setup.ts"],
    setupFiles: ["./db/testing/setup.ts"],
    pool: "forks",
    // Engine-backed tests wait for real runs; on a loaded 2-core CI machine those can take a while.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: "test" },
  },
});
