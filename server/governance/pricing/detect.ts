import { findProvider } from "@pydantic/genai-prices";

/** Prefixes of the big providers' model names; cheaper and more predictable than the catalogue's matchers. */
const RULES: readonly (readonly [RegExp, string])[] = [
  [
    /^(gpt-|o\d|chatgpt|text-embedding|davinci|babbage|whisper|tts-|dall-e|omni-moderation|codex|computer-use)/,
    "openai",
  ],
  [/^claude/, "anthropic"],
  [/^(gemini|gemma|learnlm|imagen|veo)/, "google"],
  [/^(mistral|ministral|codestral|pixtral|magistral|devstral|open-mistral|open-mixtral|voxtral)/, "mistral"],
  [/^deepseek/, "deepseek"],
  [/^grok/, "x-ai"],
  [/^command/, "cohere"],
];

const cache = new Map<string, string | null>();

/** The provider a model name belongs to, or null. `model` must be lower-cased. */
export function detectProvider(model: string): string | null {
  const hit = cache.get(model);
  if (hit !== undefined) return hit;
  let found: string | null = null;
  for (const [re, id] of RULES) {
    if (re.test(model)) {
      found = id;
      break;
    }
  }
  found ??= findProvider({ modelId: model })?.id ?? null;
  if (cache.size > 10_000) cache.clear();
  cache.set(model, found);
  return found;
}

export type ModelRef = { provider: string | null; model: string };

/**
 * Normalises what callers write: "gpt-4o", "openai:gpt-4o", "openai/gpt-4o" (gateway style),
 * "models/gemini-2.5-flash" (Google's resource names). Lower-cased and trimmed.
 */
export function parseModelRef(raw: string, provider?: string | null): ModelRef {
  let model = raw.trim().toLowerCase();
  let p = provider?.trim().toLowerCase() || null;
  if (model.startsWith("models/")) model = model.slice("models/".length);
  const sep = /^([a-z0-9-]+)[:/](.+)$/.exec(model);
  if (sep && !p) {
    p = sep[1]!;
    model = sep[2]!;
  } else if (sep && sep[1] === p) {
    model = sep[2]!;
  }
  return { provider: p ?? detectProvider(model), model };
}
