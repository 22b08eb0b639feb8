import type { ResolvedPrice } from "@/server/governance/pricing/price-book";
import { costFromFlat, flatten } from "@/server/governance/pricing/rates";
import { parseModelRef } from "@/server/governance/pricing/detect";
import { countTokens } from "./tokens";

export type MessagePart = { type?: string; text?: string } | string;
export type MessageLike = { role?: string; content?: string | readonly MessagePart[] | null };

export type EstimateInput = {
  model: string;
  provider?: string | null;
  /** Chat messages (OpenAI / Anthropic shape: content a string or a list of parts). */
  messages?: readonly MessageLike[];
  /** A plain prompt and/or system prompt, for completion-style calls. */
  prompt?: string;
  system?: string;
  /** Tool definitions sent with the call: they count as prompt tokens. */
  tools?: unknown;
  /** The call's max_tokens / max_output_tokens: the worst case of the answer. */
  maxOutputTokens?: number;
  /** True when the call writes the prompt cache (priced at the cache-write rate when higher). */
  promptCaching?: boolean;
};

export type Estimate = { promptTokens: number; maxOutputTokens: number; estimateNano: bigint };

/** When a call names no max_tokens: wflo's default ceiling for a worst-case estimate. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** OpenAI chat framing: tokens per message, and the reply primer. */
const PER_MESSAGE = 4;
const REPLY_PRIMER = 3;
/** Non-text parts (images, audio, files) count as this many tokens each: above what providers bill for a typical image. */
const PER_MEDIA_PART = 1_600;
/**
 * Other providers' tokenizers differ from OpenAI's; these margins keep the estimate above
 * what they bill (Claude's tokenizer produces up to ~25-30 % more tokens for English text).
 */
const MARGIN: Record<string, number> = { openai: 1, azure: 1, anthropic: 1.35, google: 1.25 };
const DEFAULT_MARGIN = 1.35;

function partText(p: MessagePart): { text: string; media: boolean } {
  if (typeof p === "string") return { text: p, media: false };
  if (typeof p.text === "string") return { text: p.text, media: false };
  return { text: "", media: true };
}

/** Prompt tokens of a call, counted with a real tokenizer, framing and provider margin included. */
export function countPromptTokens(input: EstimateInput): number {
  const { provider, model } = parseModelRef(input.model, input.provider);
  let tokens = 0;
  const add = (t: string | undefined) => {
    if (t) tokens += countTokens(t, model);
  };
  add(input.system);
  add(input.prompt);
  if (input.tools !== undefined) add(JSON.stringify(input.tools));
  for (const m of input.messages ?? []) {
    tokens += PER_MESSAGE;
    add(m.role);
    if (typeof m.content === "string") add(m.content);
    else
      for (const part of m.content ?? []) {
        const { text, media } = partText(part);
        if (media) tokens += PER_MEDIA_PART;
        else add(text);
      }
  }
  if (input.messages?.length) tokens += REPLY_PRIMER;
  const margin = MARGIN[provider ?? ""] ?? DEFAULT_MARGIN;
  return Math.ceil(tokens * margin);
}

/**
 * Worst-case cost of a call before it is made: every prompt token at the input rate (or the
 * cache-write rate if caching and dearer), max output tokens at the dearer of the output
 * and reasoning rates. Unpriced model: 0 (the reservation then carries `unpriced`).
 */
export function estimateCallCost(price: ResolvedPrice | null, input: EstimateInput): Estimate {
  const promptTokens = countPromptTokens(input);
  const maxOutputTokens = input.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  if (!price) return { promptTokens, maxOutputTokens, estimateNano: 0n };
  const f = flatten(price.rates, promptTokens);
  const inRate = input.promptCaching && f.cacheWrite > f.input ? f.cacheWrite : f.input;
  // biome-ignore lint/complexity/useMathMinMax: rates are bigint nano-dollars, which Math.max refuses.
  const outRate = f.reasoning > f.output ? f.reasoning : f.output;
  const estimateNano = costFromFlat(
    {
      inputTokens: promptTokens,
      outputTokens: maxOutputTokens,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    },
    { ...f, input: inRate, output: outRate },
  );
  return { promptTokens, maxOutputTokens, estimateNano };
}
