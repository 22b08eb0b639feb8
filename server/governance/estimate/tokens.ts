import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import o200k from "js-tiktoken/ranks/o200k_base";

// The ranks ship inside js-tiktoken (no download at run time); building an encoder costs
// ~100 ms, so each is built on first use and kept.
let o200kEnc: Tiktoken | null = null;
let cl100kEnc: Tiktoken | null = null;

/** OpenAI's encoding for the model; o200k for everything newer or unknown. */
function encoderFor(model: string): Tiktoken {
  if (/^(gpt-4(?!o|\.|-?5)|gpt-3\.5|text-embedding-(ada|3))/.test(model)) return (cl100kEnc ??= new Tiktoken(cl100k));
  return (o200kEnc ??= new Tiktoken(o200k));
}

/** Tokens of `text` as the model's tokenizer counts them (exact for OpenAI models, a close proxy for others). */
export function countTokens(text: string, model = "gpt-4o"): number {
  if (!text) return 0;
  return encoderFor(model).encode(text).length;
}
