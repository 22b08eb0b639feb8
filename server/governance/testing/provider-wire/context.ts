/**
 * What one local provider server shares across its wire formats: ids in request order, token
 * counting, which prompts it has seen (for prompt caching), and the output accounting every
 * format reports in its own shape.
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { countTokens } from "@/server/governance/estimate/tokens";
import { sse } from "./http";
import type { Prompt, ToolCall } from "./prompt";

export type RecordedRequest = {
  api: "openai.chat" | "openai.responses" | "anthropic.messages" | "google.generate";
  model: string;
  stream: boolean;
  /** Set when the answer was a tool call: the tool's name. */
  toolCall?: string;
};

export type ContextOptions = {
  /** Pause between the events of a streamed answer (default 0: all at once), to cut streams short in tests. */
  streamGapMs?: number;
  reply?: (lastUserText: string, model: string) => string;
};

const REASONING_TOKENS = 64;
export const PER_MESSAGE = 4;

export type ProviderContext = ReturnType<typeof providerContext>;

export function providerContext(opts: ContextOptions) {
  const seenPrompts = new Set<string>();
  const replyFor = opts.reply ?? ((text: string, model: string) => `Reply from ${model}: ${text.slice(0, 80)}`);
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}_${(++seq).toString().padStart(8, "0")}`;

  const tokens = (s: string) => countTokens(s, "gpt-4o");
  const streamOut = (res: ServerResponse, events: { event?: string; data: unknown }[], done?: string) =>
    sse(res, events, done, opts.streamGapMs ?? 0);
  const inputTokens = (p: Prompt) => p.turns.reduce((n, t) => n + tokens(t.text) + PER_MESSAGE, 0);
  const hash = (s: string) => createHash("sha256").update(s).digest("hex");

  /** Output accounting shared by all formats. */
  function answer(model: string, p: Prompt, maxTokens: number | undefined, reasoningInside: boolean) {
    const text = p.toolResults.length ? `Tool result: ${p.toolResults.join("\n")}` : replyFor(p.lastUser, model);
    const thinks = reasoningInside ? /^(o\d|gpt-5)/.test(model) : /^gemini-2\.5/.test(model);
    const reasoning = thinks ? REASONING_TOKENS : 0;
    let visible = tokens(text);
    let finished = true;
    const cap = maxTokens ?? Infinity;
    if ((reasoningInside ? reasoning : 0) + visible > cap) {
      visible = Math.max(0, cap - (reasoningInside ? reasoning : 0));
      finished = false;
    }
    return { text, visible, reasoning, finished };
  }

  /** Output accounting of a tool call: the name and arguments are what the model "wrote". */
  function toolAnswer(model: string, call: ToolCall, reasoningInside: boolean) {
    const reasoning = reasoningInside && /^(o\d|gpt-5)/.test(model) ? REASONING_TOKENS : 0;
    return { visible: tokens(call.name + call.args), reasoning };
  }

  function openaiCached(p: Prompt, total: number): number {
    if (total < 1024) return 0;
    const key = hash(JSON.stringify(p.turns));
    const seen = seenPrompts.has(key);
    seenPrompts.add(key);
    return seen ? Math.floor(total / 128) * 128 : 0;
  }

  return {
    nextId,
    /** How many ids have been handed out: the answers' `created` times follow it. */
    seq: () => seq,
    seenPrompts,
    tokens,
    streamOut,
    inputTokens,
    hash,
    answer,
    toolAnswer,
    openaiCached,
  };
}
