import Anthropic from "@anthropic-ai/sdk";
import type { LlmProvider, ProviderAnswer, ResolvedRequest } from "./types";

/** Anthropic through the official SDK (ANTHROPIC_API_KEY, optional ANTHROPIC_BASE_URL). */
export function anthropicProvider(apiKey: string, baseURL?: string): LlmProvider {
  const client = new Anthropic({ apiKey, baseURL: baseURL || undefined, maxRetries: 2 });
  return {
    name: "anthropic",
    simulated: false,
    defaultModel: "claude-3-5-haiku-latest",
    async call(req: ResolvedRequest): Promise<ProviderAnswer> {
      const res = await client.messages.create({
        model: req.model,
        max_tokens: req.maxTokens,
        ...(req.system ? { system: req.system } : {}),
        messages: [{ role: "user", content: req.prompt }],
      });
      const text = res.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("");
      return {
        raw: res,
        response: {
          text,
          provider: "anthropic",
          model: res.model,
          simulated: false,
          // Anthropic's input_tokens excludes cache reads/writes; usage extraction adds them for pricing.
          usage: {
            inputTokens:
              res.usage.input_tokens +
              (res.usage.cache_read_input_tokens ?? 0) +
              (res.usage.cache_creation_input_tokens ?? 0),
            outputTokens: res.usage.output_tokens,
          },
        },
      };
    },
  };
}
