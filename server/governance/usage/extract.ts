import { parseModelRef } from "@/server/governance/pricing/detect";
import { checkUsage, UsageError, type ExtractedUsage } from "./types";

export type UsageHint = { provider?: string | null; model?: string | null };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;
const obj = (o: Obj, k: string): Obj | undefined => (isObj(o[k]) ? (o[k] as Obj) : undefined);
const str = (o: Obj | undefined, k: string): string | undefined =>
  o && typeof o[k] === "string" ? (o[k] as string) : undefined;

/** A token count field: absent or null is 0; anything else must be a number (checked for sense later). */
function n(o: Obj | undefined, k: string): number {
  const v = o?.[k];
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number") throw new UsageError(`${k}: token count must be a number (got ${typeof v})`);
  return v;
}

type Counts = Omit<ExtractedUsage, "provider" | "model">;
type Found = Counts & { provider: string | null; model: string | undefined };

/** OpenAI Chat Completions (also the final streaming chunk with stream_options.include_usage). */
function openaiChat(r: Obj, u: Obj): Found {
  return {
    provider: "openai",
    model: str(r, "model"),
    inputTokens: n(u, "prompt_tokens"),
    outputTokens: n(u, "completion_tokens"),
    cachedInputTokens: n(obj(u, "prompt_tokens_details"), "cached_tokens"),
    cacheWriteTokens: 0,
    reasoningTokens: n(obj(u, "completion_tokens_details"), "reasoning_tokens"),
  };
}

/** OpenAI Responses API: input_tokens already include cached ones. */
function openaiResponses(r: Obj, u: Obj): Found {
  return {
    provider: "openai",
    model: str(r, "model"),
    inputTokens: n(u, "input_tokens"),
    outputTokens: n(u, "output_tokens"),
    cachedInputTokens: n(obj(u, "input_tokens_details"), "cached_tokens"),
    cacheWriteTokens: 0,
    reasoningTokens: n(obj(u, "output_tokens_details"), "reasoning_tokens"),
  };
}

/** Anthropic Messages: input_tokens EXCLUDES cache reads and writes, so they are added back. Thinking is inside output_tokens. */
function anthropic(r: Obj, u: Obj): Found {
  const read = n(u, "cache_read_input_tokens");
  const write = n(u, "cache_creation_input_tokens");
  return {
    provider: "anthropic",
    model: str(r, "model"),
    inputTokens: n(u, "input_tokens") + read + write,
    outputTokens: n(u, "output_tokens"),
    cachedInputTokens: read,
    cacheWriteTokens: write,
    reasoningTokens: 0,
  };
}

/** Google GenAI usageMetadata: thoughts are NOT inside candidatesTokenCount, tool-use prompts not inside promptTokenCount. */
function google(r: Obj, u: Obj): Found {
  const thoughts = n(u, "thoughtsTokenCount");
  return {
    provider: "google",
    model: str(r, "modelVersion"),
    inputTokens: n(u, "promptTokenCount") + n(u, "toolUsePromptTokenCount"),
    outputTokens: n(u, "candidatesTokenCount") + thoughts,
    cachedInputTokens: n(u, "cachedContentTokenCount"),
    cacheWriteTokens: 0,
    reasoningTokens: thoughts,
  };
}

/** Vercel AI SDK LanguageModelUsage (v5 flat fields and v6 details). inputTokens include cache reads and writes. */
function aiSdk(r: Obj, u: Obj): Found {
  const inDetails = obj(u, "inputTokenDetails");
  const outDetails = obj(u, "outputTokenDetails");
  // The result's own getters vanish in its JSON form; its last step keeps model and provider.
  const steps = Array.isArray(r.steps) ? r.steps : [];
  const last = isObj(steps[steps.length - 1]) ? (steps[steps.length - 1] as Obj) : undefined;
  const stepModel = last && obj(last, "model");
  const meta = obj(r, "providerMetadata");
  const provider = str(stepModel, "provider")?.split(".")[0] ?? (meta ? Object.keys(meta)[0] : undefined) ?? null;
  return {
    provider,
    model:
      str(obj(r, "response"), "modelId") ?? str(last && obj(last, "response"), "modelId") ?? str(stepModel, "modelId"),
    inputTokens: n(u, "inputTokens"),
    outputTokens: n(u, "outputTokens"),
    cachedInputTokens: inDetails ? n(inDetails, "cacheReadTokens") : n(u, "cachedInputTokens"),
    cacheWriteTokens: inDetails ? n(inDetails, "cacheWriteTokens") : 0,
    reasoningTokens: outDetails ? n(outDetails, "reasoningTokens") : n(u, "reasoningTokens"),
  };
}

/** LangChain AIMessage usage_metadata: input_tokens include cache reads and creation. */
function langchain(r: Obj, u: Obj): Found {
  const meta = obj(r, "response_metadata");
  const inD = obj(u, "input_token_details");
  const outD = obj(u, "output_token_details");
  return {
    provider: str(meta, "model_provider") ?? null,
    model: str(meta, "model_name") ?? str(meta, "model"),
    inputTokens: n(u, "input_tokens"),
    outputTokens: n(u, "output_tokens"),
    cachedInputTokens: n(inD, "cache_read"),
    cacheWriteTokens: n(inD, "cache_creation"),
    reasoningTokens: n(outD, "reasoning"),
  };
}

/** Older LangChain messages carry only response_metadata.tokenUsage (camelCase OpenAI counts). */
function langchainTokenUsage(r: Obj, meta: Obj, t: Obj): Found {
  return {
    provider: str(meta, "model_provider") ?? null,
    model: str(meta, "model_name") ?? str(meta, "model") ?? str(r, "model"),
    inputTokens: n(t, "promptTokens"),
    outputTokens: n(t, "completionTokens"),
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}

function find(r: Obj, hint: UsageHint | undefined, depth: number): Found | null {
  // LangChain's serialised form: {lc: 1, type: "constructor", id: [..., "AIMessage"], kwargs: {...}}
  const kwargs = obj(r, "kwargs");
  if (kwargs && r.lc !== undefined && depth < 3) return find(kwargs, hint, depth + 1);
  // Streaming wrappers: OpenAI response.completed, Anthropic message_start.
  if (typeof r.type === "string" && r.type.startsWith("response.") && isObj(r.response) && depth < 3)
    return find(r.response, hint, depth + 1);

  const um = obj(r, "usage_metadata");
  if (um) return langchain(r, um);
  const gm = obj(r, "usageMetadata");
  if (gm) return google(r, gm);
  const total = obj(r, "totalUsage");
  if (total) return aiSdk(r, total);

  const u = obj(r, "usage");
  if (u) {
    if ("inputTokens" in u || "outputTokens" in u) return aiSdk(r, u);
    if ("prompt_tokens" in u || "completion_tokens" in u) return openaiChat(r, u);
    if ("input_tokens" in u || "output_tokens" in u) {
      if (r.object === "response" || "input_tokens_details" in u || "output_tokens_details" in u)
        return openaiResponses(r, u);
      if (r.type === "message" || "cache_creation_input_tokens" in u || "cache_read_input_tokens" in u)
        return anthropic(r, u);
      const p =
        hint?.provider ??
        (hint?.model ? parseModelRef(hint.model).provider : null) ??
        (str(r, "model") ? parseModelRef(str(r, "model")!).provider : null);
      return p === "anthropic" ? anthropic(r, u) : openaiResponses(r, u);
    }
  }
  const meta = obj(r, "response_metadata");
  const tu = meta && obj(meta, "tokenUsage");
  if (meta && tu) return langchainTokenUsage(r, meta, tu);
  // A LangChain message from Anthropic may carry only the raw usage in response_metadata.
  const rawUsage = meta && obj(meta, "usage");
  if (meta && rawUsage && depth < 3) return find({ ...meta, usage: rawUsage }, hint, depth + 1);
  return null;
}

/**
 * Normalised usage from a provider response as the SDKs return it (class instances or their
 * plain JSON): OpenAI Chat Completions / Responses (incl. final stream chunks and
 * response.completed events), Anthropic Messages, Google GenAI, Vercel AI SDK results,
 * LangChain AI messages. `hint` fills in what a response lacks (the model asked for, the
 * provider called). Throws UsageError when no usage is present or counts are nonsense.
 */
export function extractUsage(response: unknown, hint?: UsageHint): ExtractedUsage {
  if (!isObj(response))
    throw new UsageError(
      `response: expected an object with usage, got ${response === null ? "null" : typeof response}`,
    );
  const f = find(response, hint, 0);
  if (!f)
    throw new UsageError(
      "response: no token usage found (for OpenAI streams, pass stream_options: { include_usage: true } and hand over the last chunk)",
    );
  const rawModel = f.model ?? hint?.model ?? null;
  const ref = rawModel ? parseModelRef(rawModel, hint?.provider ?? f.provider) : null;
  return checkUsage({
    provider: ref?.provider ?? hint?.provider ?? f.provider,
    model: ref?.model ?? null,
    inputTokens: f.inputTokens,
    outputTokens: f.outputTokens,
    cachedInputTokens: f.cachedInputTokens,
    cacheWriteTokens: f.cacheWriteTokens,
    reasoningTokens: f.reasoningTokens,
  });
}
