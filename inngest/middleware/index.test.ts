import { describe, expect, it } from "vitest";
import { CompensationMiddleware } from "./compensation";
import { ForkReplayMiddleware } from "./fork-replay";
import { wfloMiddleware } from "./index";
import { LlmApprovalMiddleware } from "./llm-approval";
import { LogContextMiddleware } from "./log-context";
import { RecordingMiddleware } from "./recording";
import { SignatureMiddleware } from "./signature";
import { StepGuardMiddleware } from "./step-guard";
import { WfloContextMiddleware } from "./wflo-context";

/** The SDK runs hooks in list order and nests wrap* hooks first-outermost: the order is behaviour. */
describe("wflo's middleware list", () => {
  const at = (m: unknown) => (wfloMiddleware as readonly unknown[]).indexOf(m);

  it("holds every concern once", () => {
    const all = [
      LogContextMiddleware,
      SignatureMiddleware,
      RecordingMiddleware,
      WfloContextMiddleware,
      StepGuardMiddleware,
      ForkReplayMiddleware,
      CompensationMiddleware,
      LlmApprovalMiddleware,
    ];
    expect(wfloMiddleware).toHaveLength(all.length);
    for (const m of all) expect(at(m)).toBeGreaterThanOrEqual(0);
  });

  it("puts log context outermost and the signature check before recording", () => {
    expect(at(LogContextMiddleware)).toBe(0);
    expect(at(SignatureMiddleware)).toBeLessThan(at(RecordingMiddleware));
  });

  it("nests step handlers as guard, fork replay, compensation, then the require-approval scope", () => {
    expect(at(StepGuardMiddleware)).toBeLessThan(at(ForkReplayMiddleware));
    expect(at(ForkReplayMiddleware)).toBeLessThan(at(CompensationMiddleware));
    expect(at(CompensationMiddleware)).toBeLessThan(at(LlmApprovalMiddleware));
  });
});
