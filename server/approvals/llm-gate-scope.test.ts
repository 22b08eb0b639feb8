import { describe, expect, it } from "vitest";
import {
  assertLlmCallApproved,
  grantLlmStep,
  LlmApprovalRequiredError,
  newLlmApprovals,
  refuseGateInsideStep,
  withLlmGateScope,
} from "./llm-gate-scope";

describe("the require-approval LLM-gate scope", () => {
  it("does nothing outside a require-approval run, or for another run", async () => {
    expect(() => assertLlmCallApproved({ runId: "r1", stepId: "a" })).not.toThrow();
    grantLlmStep("a"); // no scope: nothing to grant into
    await withLlmGateScope(newLlmApprovals("r1"), undefined, async () => {
      expect(() => assertLlmCallApproved({ runId: "r2", stepId: "a" })).not.toThrow();
    });
  });

  it("lets a call through only inside the step its gate granted, in the same request", async () => {
    const request = newLlmApprovals("r1");
    await withLlmGateScope(request, undefined, async () => {
      expect(() => assertLlmCallApproved({ runId: "r1", stepId: "a" })).toThrow(LlmApprovalRequiredError);
      grantLlmStep("a");
    });
    await withLlmGateScope(request, "a", async () => {
      expect(() => assertLlmCallApproved({ runId: "r1", stepId: "a" })).not.toThrow();
      expect(() => assertLlmCallApproved({ runId: "r1", stepId: "b" })).toThrow(/inside step "a"/);
    });
    await withLlmGateScope(request, "b", async () => {
      expect(() => assertLlmCallApproved({ runId: "r1", stepId: "b" })).toThrow(LlmApprovalRequiredError);
    });
    // Another request of the same run has its own grants: this one's do not carry over.
    await withLlmGateScope(newLlmApprovals("r1"), "a", async () => {
      expect(() => assertLlmCallApproved({ runId: "r1", stepId: "a" })).toThrow(LlmApprovalRequiredError);
    });
  });

  it("refuses a gate asked for inside a step handler", async () => {
    await withLlmGateScope(newLlmApprovals("r1"), "work", async () => {
      expect(() => refuseGateInsideStep("llm-1")).toThrow(/inside step "work" cannot wait/);
    });
    await withLlmGateScope(newLlmApprovals("r1"), undefined, async () => {
      expect(() => refuseGateInsideStep("llm-1")).not.toThrow();
    });
  });
});
