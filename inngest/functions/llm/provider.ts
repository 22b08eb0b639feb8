import { simulatedProvider } from "./simulated";

/**
 * The one seam between workflows and language models. Workflows call `ctx.wflo.llm.complete`;
 * which provider answers is decided here, so cost governance can later put pricing, budgets and
 * real providers (OpenAI, Anthropic, when their keys are configured) behind the same call.
 */
export type LlmRequest = {
  prompt: string;
  system?: string;
  model?: string;
  maxTokens?: number;
};

export type LlmResponse = {
  text: string;
  provider: string;
  model: string;
  /** True when no real model produced this text; the UI marks such output. */
  simulated: boolean;
  usage: { inputTokens: number; outputTokens: number };
};

export interface LlmProvider {
  readonly name: string;
  complete(req: LlmRequest): Promise<LlmResponse>;
}

/** Until real providers are wired in, every call goes to the clearly labelled simulator. */
export function resolveProvider(): LlmProvider {
  return simulatedProvider;
}

/** The part of Inngest's step tools an LLM call needs: one durable, memoized step per call. */
type StepRunner = { run: (id: string, fn: () => Promise<LlmResponse>) => Promise<unknown> };

export type WfloLlm = { complete(stepId: string, req: LlmRequest): Promise<LlmResponse> };

export function createLlm(step: StepRunner): WfloLlm {
  return {
    // The step's memoized value is the JSON of an LlmResponse, which is an LlmResponse again.
    complete: async (stepId, req) => (await step.run(stepId, () => resolveProvider().complete(req))) as LlmResponse,
  };
}
