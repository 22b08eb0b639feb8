import OpenAI from "openai";
import type { LlmProvider, ProviderAnswer, ResolvedRequest } from "./types";

/** OpenAI through the official SDK (OPENAI_API_KEY, optional OPENAI_BASE_URL for gateways and tests). */
export function openaiProvider(apiKey: string, baseURL?: string): LlmProvider {
  const client = new OpenAI({ apiKey, baseURL: baseURL || undefined, maxRetries: 2 });
  return {
    name: "openai",
    simulated: false,
    defaultModel: "gpt-4o-mini",
    async call(req: ResolvedRequest): Promise<ProviderAnswer> {
      const res = await client.chat.completions.create({
        model: req.model,
        max_tokens: req.maxTokens,
        messages: [
          ...(req.system ? [{ role: "system" as const, content: req.system }] : []),
          { role: "user" as const, content: req.prompt },
        ],
      });
      return {
        raw: res,
        response: {
          text: res.choices[0]?.message?.content ?? "",
          provider: "openai",
          model: res.model,
          simulated: false,
          usage: { inputTokens: res.usage?.prompt_tokens ?? 0, outputTokens: res.usage?.completion_tokens ?? 0 },
        },
      };
    },
  };
}
