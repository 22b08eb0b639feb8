#!/usr/bin/env node
// `npm start`: builds the app when the build is missing or older than the source,
// then serves the control panel with everything embedded (PostgreSQL, engine, demo workflows).
import { spawnSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const next = path.join(root, "node_modules", ".bin", "next");
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const SOURCES = [
  "app",
  "components",
  "server",
  "db",
  "inngest",
  "public",
  "next.config.mjs",
  "instrumentation.ts",
  "package.json",
  "tsconfig.json",
];

function newestMtime(p) {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const e of readdirSync(p)) max = Math.max(max, newestMtime(path.join(p, e)));
  return max;
}

const buildId = path.join(root, ".next", "BUILD_ID");
const stale = !existsSync(buildId) || SOURCES.some((s) => newestMtime(path.join(root, s)) > statSync(buildId).mtimeMs);
if (stale && !process.argv.includes("--no-build")) {
  console.log("[wflo] building the control panel (first start or changed source)…");
  const r = spawnSync(next, ["build"], { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const port = process.env.PORT ?? "3000";
const child = spawn(next, ["start", "-p", port, "-H", process.env.HOST ?? "0.0.0.0"], {
  cwd: root,
  env,
  stdio: "inherit",
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
