import { describe, expect, it } from "vitest";
import { REQUIREMENTS, machineChecks, planProvisioning, provision, type Checks } from "./provision.mjs";

/** A machine described by what is on it; nothing here touches the real one. */
function machine(opts: { present: string[]; root: boolean; apt: boolean }): Checks {
  return { isExecutable: (p) => opts.present.includes(p), isRoot: () => opts.root, hasAptGet: () => opts.apt };
}
const chromium = REQUIREMENTS.find((r) => r.name === "Chromium")!;
const bwrap = REQUIREMENTS.find((r) => r.name === "bubblewrap")!;
const CHROMIUM_CMD =
  "DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core";
const BWRAP_CMD = "DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq bubblewrap util-linux";

describe("npm test provisioning", () => {
  it("does nothing when Chromium and bubblewrap are present", () => {
    const plan = planProvisioning(
      REQUIREMENTS,
      machine({ present: [chromium.path, bwrap.path], root: true, apt: true }),
    );
    expect(plan).toEqual({ action: "none" });
  });

  it("installs a missing Chromium as root with apt-get, saying what and why", () => {
    const plan = planProvisioning(REQUIREMENTS, machine({ present: [bwrap.path], root: true, apt: true }));
    expect(plan.action).toBe("install");
    if (plan.action === "none") return;
    expect(plan.command).toBe(CHROMIUM_CMD);
    expect(plan.message).toContain("Chromium (/usr/bin/chromium");
    expect(plan.message).toContain("end-to-end");
  });

  it("installs a missing bubblewrap as root with apt-get", () => {
    const plan = planProvisioning(REQUIREMENTS, machine({ present: [chromium.path], root: true, apt: true }));
    expect(plan.action === "install" && plan.command).toBe(BWRAP_CMD);
  });

  it("installs both in one apt run when both are missing", () => {
    const plan = planProvisioning(REQUIREMENTS, machine({ present: [], root: true, apt: true }));
    expect(plan.action === "install" && plan.command).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core bubblewrap util-linux",
    );
  });

  it("stops with the exact command when not root", () => {
    const plan = planProvisioning(REQUIREMENTS, machine({ present: [chromium.path], root: false, apt: true }));
    expect(plan.action).toBe("stop");
    expect(plan.action === "stop" && plan.message).toContain(`Run as root: ${BWRAP_CMD}`);
  });

  it("stops with the packages and the command when apt-get is missing, and names CHROMIUM_PATH", () => {
    const plan = planProvisioning(REQUIREMENTS, machine({ present: [bwrap.path], root: true, apt: false }));
    expect(plan.action).toBe("stop");
    if (plan.action === "none") return;
    expect(plan.message).toContain("chromium, fonts-dejavu-core");
    expect(plan.message).toContain(CHROMIUM_CMD);
    expect(plan.message).toContain("CHROMIUM_PATH");
  });

  it("provision() reports the stop through its error sink and runs nothing", () => {
    const errors: string[] = [];
    const logs: string[] = [];
    const ok = provision(
      REQUIREMENTS,
      machine({ present: [], root: false, apt: true }),
      (m) => logs.push(m),
      (m) => errors.push(m),
    );
    expect(ok).toBe(false);
    expect(logs).toEqual([]);
    expect(errors.join("\n")).toContain("apt-get install -y -qq chromium fonts-dejavu-core bubblewrap util-linux");
  });

  it("the real checks see this machine's binaries (present here, so npm test goes on)", () => {
    expect(machineChecks.isExecutable("/bin/sh")).toBe(true);
    expect(machineChecks.isExecutable("/nonexistent/wflo-binary")).toBe(false);
  });
});
