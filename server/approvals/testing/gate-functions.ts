import { inngest } from "@/inngest/client";

/**
 * Test-only workflows with shortened timers: a gate that escalates after 2s and rejects at 4s,
 * one that fails the run at its deadline, and a critical two-approver gate.
 */
export const escalatingGate = inngest.createFunction(
  { id: "test-escalating-gate", retries: 0, triggers: [{ event: "test/escalating-gate" }] },
  async ({ wflo }) => {
    const d = await wflo.approval("wire-funds", {
      action: "Wire $25,000 to a new vendor",
      risk: "high",
      amountUsd: 25_000,
      requiredRole: "admin",
      timeout: "4s",
      onTimeout: "reject",
      escalateTo: { after: "2s", role: "admin", widenTo: "approver" },
    });
    return d;
  },
);

export const failingGate = inngest.createFunction(
  { id: "test-failing-gate", retries: 0, triggers: [{ event: "test/failing-gate" }] },
  async ({ wflo }) =>
    wflo.approval("rotate-keys", { action: "Rotate production keys", risk: "high", timeout: "2s", onTimeout: "fail" }),
);

export const criticalGate = inngest.createFunction(
  { id: "test-critical-gate", retries: 0, triggers: [{ event: "test/critical-gate" }] },
  async ({ wflo }) =>
    wflo.approval("drop-database", { action: "Drop the staging database", risk: "critical", throwOnReject: true }),
);

export const gateTestFunctions = [escalatingGate, failingGate, criticalGate];
