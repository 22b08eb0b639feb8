import { getDb } from "@/db/client";
import { estimateCallCost, nanoToUsdNumber, resolvePrice, type EstimateInput } from "@/server/governance";
import { log } from "@/server/log";
import { resolveLlm, type WfloLlm, type WfloTrack } from "@/server/llm/provider";
import { DEFAULT_MAX_TOKENS } from "@/server/llm/types";
import type { WfloApproval } from "./gate";
import { grantLlmStep, refuseGateInsideStep } from "./llm-gate-scope";

/**
 * `wflo run --require-approval`: a run started with "require approval" gates every LLM call
 * behind an approval named `llm:<stepId>` (medium risk, so the policy routes it; the built-in
 * one asks an approver), asked at the workflow level right before the call's own step. A
 * rejection ends the run before the call: nothing reaches the provider, nothing is charged.
 *
 * Two gates, one request shape (model, prompt summary, estimated worst-case cost):
 * - `gateLlmCalls` for `wflo.llm.complete`;
 * - `gateTrack` for `wflo.trackLlmCall`, which `wflo.wrap(client)`, the framework adapters and
 *   the SDK's `trackLlmCall` all go through.
 * Each approved step is granted in the request's LLM-gate scope (`grantLlmStep`), which
 * `assertLlmCallApproved` (called by governedLlmCall, see ./llm-gate-scope.ts) checks: any
 * other call of the run is refused.
 */

/** What the gates ask through: the run's approval gate; undefined when approval is not required. */
export type LlmGate = { approval: WfloApproval };

const PROMPT_CHARS = 2_000;

/** The prompt the approver reads: system, then the prompt or the conversation, cut to 2,000 characters. */
export function promptSummary(req: EstimateInput): string {
  const text = (c: unknown): string =>
    typeof c === "string"
      ? c
      : Array.isArray(c)
        ? c.map((p) => (typeof p === "string" ? p : ((p as { text?: string })?.text ?? ""))).join(" ")
        : "";
  const turns = req.messages?.map((m) => `${m.role ?? "user"}: ${text(m.content)}`) ?? [];
  return [req.prompt ?? "", ...turns].filter(Boolean).join("\n").slice(0, PROMPT_CHARS);
}

/** The worst-case cost the budget would reserve, in USD; undefined when it cannot be priced now. */
async function estimatedCostUsd(req: EstimateInput): Promise<number | undefined> {
  try {
    const price = await resolvePrice(getDb(), req.model, req.provider);
    return price ? nanoToUsdNumber(estimateCallCost(price, req).estimateNano) : undefined;
  } catch (err) {
    log.warn({ err, model: req.model }, "wflo: could not estimate an LLM call's cost for its approval");
    return undefined;
  }
}

async function askApproval(gate: LlmGate, stepId: string, req: EstimateInput, model: string): Promise<void> {
  // Steps cannot nest: a gate inside a step handler would be a step.waitForSignal inside step.run.
  refuseGateInsideStep(stepId);
  const costUsd = await estimatedCostUsd(req);
  await gate.approval(`llm:${stepId}`, {
    action: `LLM call "${stepId}" to ${model}`,
    summary: "This run was started with “require approval for every LLM step”.",
    risk: "medium",
    tool: "llm",
    ...(costUsd !== undefined ? { costUsd } : {}),
    payload: {
      model,
      system: req.system ?? "",
      prompt: promptSummary(req),
      ...(costUsd !== undefined ? { estimatedCostUsd: costUsd } : {}),
    },
    throwOnReject: true,
  });
  grantLlmStep(stepId);
}

export function gateLlmCalls(llm: WfloLlm, gate: LlmGate | undefined): WfloLlm {
  if (!gate) return llm;
  return {
    complete: async (stepId, req) => {
      const { provider, model } = resolveLlm(req.model);
      await askApproval(
        gate,
        stepId,
        {
          model,
          provider: provider.name,
          system: req.system,
          prompt: req.prompt,
          maxOutputTokens: req.maxTokens ?? DEFAULT_MAX_TOKENS,
        },
        req.model ?? model,
      );
      return llm.complete(stepId, req);
    },
  };
}

export function gateTrack(track: WfloTrack, gate: LlmGate | undefined): WfloTrack {
  if (!gate) return track;
  return async (stepId, request, call, opts) => {
    await askApproval(gate, stepId, request, request.model);
    return track(stepId, request, call, opts);
  };
}
