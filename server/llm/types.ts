/** What a workflow asks of a language model through `ctx.wflo.llm.complete`. */
export type LlmRequest = {
  prompt: string;
  system?: string;
  /** e.g. "gpt-4o-mini", "claude-3-5-haiku-latest", "openai:gpt-4o"; default: the configured provider's default. */
  model?: string;
  /** The answer's ceiling; also the worst case a budget reserves for. Default 1024. */
  maxTokens?: number;
};

export type LlmResponse = {
  text: string;
  provider: string;
  model: string;
  /** True when no real model produced this text; the UI marks such output. */
  simulated: boolean;
  usage: { inputTokens: number; outputTokens: number };
  /** What the call was charged, exact USD decimal (set by the governed call). */
  costUsd?: string;
};

/** A provider's answer: the response the workflow sees, and the raw SDK response usage is read from. */
export type ProviderAnswer = { response: LlmResponse; raw: unknown };

export type ResolvedRequest = LlmRequest & { model: string; maxTokens: number };

export interface LlmProvider {
  /** Provider id as the price catalogue knows it (openai, anthropic, simulated). */
  readonly name: string;
  readonly simulated: boolean;
  readonly defaultModel: string;
  call(req: ResolvedRequest): Promise<ProviderAnswer>;
}

export const DEFAULT_MAX_TOKENS = 1024;
