import type { WfloLlm } from "@/inngest/functions/llm/provider";
import type { WfloApproval } from "./gate";

/**
 * `wflo run --require-approval`: a run started with "require approval" gates every
 * `wflo.llm.complete` call behind an approval named `llm:<stepId>` (medium risk, so the policy
 * routes it; the built-in one asks an approver). A rejection ends the run.
 */
export function gateLlmCalls(llm: WfloLlm, approval: WfloApproval, required: boolean): WfloLlm {
  if (!required) return llm;
  return {
    complete: async (stepId, req) => {
      await approval(`llm:${stepId}`, {
        action: `LLM call "${stepId}"${req.model ? ` to ${req.model}` : ""}`,
        summary: "This run was started with “require approval for every LLM step”.",
        risk: "medium",
        tool: "llm",
        payload: { model: req.model ?? "default", system: req.system ?? "", prompt: req.prompt.slice(0, 2_000) },
        throwOnReject: true,
      });
      return llm.complete(stepId, req);
    },
  };
}
