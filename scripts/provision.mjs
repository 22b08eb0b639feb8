// What `npm test` needs from the machine beyond node_modules: Debian's Chromium (Playwright never
// downloads a browser here) and bubblewrap (the sandbox's escape-attempt suite runs code in it).
// The decision is a pure function over injected checks so it can be tested without running apt;
// `provision()` applies it to the real machine.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

/** @type {import("./provision.d.mts").Requirement[]} */
export const REQUIREMENTS = [
  {
    name: "Chromium",
    why: "the end-to-end specs drive it",
    path: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    packages: ["chromium", "fonts-dejavu-core"],
    pathVariable: "CHROMIUM_PATH",
  },
  {
    name: "bubblewrap",
    why: "the sandbox's escape-attempt suite runs code in it",
    path: "/usr/bin/bwrap",
    packages: ["bubblewrap", "util-linux"],
  },
];

/** The exact command that installs `packages`, non-interactively. */
export function aptCommand(packages) {
  return `DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq ${packages.join(" ")}`;
}

/**
 * What to do about the missing requirements: nothing, install them (root with apt-get), or stop
 * with the command the user has to run. One apt run covers everything missing.
 * @param {import("./provision.d.mts").Checks} checks
 * @returns {import("./provision.d.mts").Plan}
 */
export function planProvisioning(requirements, checks) {
  const missing = requirements.filter((r) => !checks.isExecutable(r.path));
  if (missing.length === 0) return { action: "none" };
  const packages = missing.flatMap((r) => r.packages);
  const command = aptCommand(packages);
  const what = missing.map((r) => `${r.name} (${r.path}: ${r.why})`).join("; ");
  if (checks.isRoot() && checks.hasAptGet()) {
    return { action: "install", command, message: `npm test needs ${what}. Installing: ${command}` };
  }
  const how = checks.hasAptGet()
    ? `Run as root: ${command}`
    : `Install the Debian packages ${packages.join(", ")} (on Debian/Ubuntu, as root: ${command})`;
  const alt = missing.some((r) => r.pathVariable)
    ? `, or set ${missing.flatMap((r) => (r.pathVariable ? [r.pathVariable] : [])).join(", ")} to an existing one`
    : "";
  return { action: "stop", command, message: `npm test needs ${what}, which is missing. ${how}${alt}.` };
}

/** The real machine's checks. */
export const machineChecks = {
  isExecutable(p) {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
  isRoot: () => process.getuid?.() === 0,
  hasAptGet: () =>
    (process.env.PATH ?? "")
      .split(path.delimiter)
      .some((d) => d !== "" && machineChecks.isExecutable(path.join(d, "apt-get"))),
};

/**
 * Makes the machine ready for `npm test` or says exactly what to run. Returns true when the
 * suite can go on; after an install it checks again, so a package that did not bring the
 * expected binary still stops the run with the command.
 */
export function provision(
  requirements = REQUIREMENTS,
  checks = machineChecks,
  log = console.log,
  error = console.error,
) {
  const plan = planProvisioning(requirements, checks);
  if (plan.action === "none") return true;
  if (plan.action === "stop") {
    error(plan.message);
    return false;
  }
  log(plan.message);
  const r = spawnSync("sh", ["-c", plan.command], { stdio: "inherit" });
  const after = planProvisioning(requirements, checks);
  if (r.status !== 0 || after.action !== "none") {
    error(
      `Installing failed (${r.status === 0 ? "the packages did not bring the binaries" : `exit ${r.status ?? r.signal}`}). ${after.action === "none" ? "" : after.message}`.trim(),
    );
    return false;
  }
  return true;
}
