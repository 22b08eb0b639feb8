import type { LanguageModelV3 } from "@ai-sdk/provider";

/**
 * Recognising AI SDK objects by shape, without loading `ai` (the registry detects every target
 * before any adapter's package is imported; package copies differ, so never `instanceof`).
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A LanguageModelV3 (`openai("gpt-4o")`, `anthropic(...)`, a wrapped model). */
export function isLanguageModel(v: unknown): v is LanguageModelV3 {
  return (
    isObj(v) &&
    v.specificationVersion === "v3" &&
    typeof v.modelId === "string" &&
    typeof v.provider === "string" &&
    typeof v.doGenerate === "function" &&
    typeof v.doStream === "function"
  );
}

/** An AI SDK agent (`ToolLoopAgent`, exported also as `Experimental_Agent`): `version: "agent-v1"` with generate and stream. */
export type AiSdkAgentLike = {
  version: "agent-v1";
  generate: (...a: never[]) => unknown;
  stream: (...a: never[]) => unknown;
};

export function isAiSdkAgent(v: unknown): v is AiSdkAgentLike {
  return isObj(v) && v.version === "agent-v1" && typeof v.generate === "function" && typeof v.stream === "function";
}

/**
 * An AI SDK call: the options object of `generateText` (or, with `stream: true`, `streamText`)
 * as a plain object literal whose `model` is a language model object.
 */
export type AiSdkCallLike = Obj & { model: LanguageModelV3; stream?: boolean };

export function isAiSdkCall(v: unknown): v is AiSdkCallLike {
  if (!isObj(v) || !isLanguageModel(v.model)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
