import { defineAdapter, UnsupportedTargetError, type AdapterContext } from "../framework";
import { isAiSdkAgent, isAiSdkCall, isLanguageModel, type AiSdkAgentLike, type AiSdkCallLike } from "./ai-sdk-detect";
import { durableToolCall } from "./step-ids";

/**
 * Vercel AI SDK (`ai` 6): runs an existing agent or call inside the workflow, unchanged in what
 * it says and does. Two targets, told apart by shape:
 *
 * - an agent: a `ToolLoopAgent` (also exported as `Experimental_Agent`; `version: "agent-v1"`).
 *   It is copied (same class, same settings) with a governed model and durable tools, then
 *   `generate`d, or `stream`ed when the input says `stream: true`;
 * - a call: the options object of `generateText` as a plain literal, `{ model, system, tools,
 *   stopWhen, ... }` (with `stream: true`, `streamText`). The input supplies the prompt.
 *
 * Input: a string (the prompt), a list of model messages, or `{ prompt | messages, stream?,
 * options? }` (`options`: an agent's call options).
 *
 * Governance and durability (see ai-sdk-model.ts): every model call is one durable, governed
 * step `ai-sdk:<modelId>:<n>` (budget before the provider sees it; provider-reported tokens at
 * the catalogue price after); every tool execution is one durable step `tool:<name>:<n>`; after
 * every model turn `wflo.checkpoint("ai-sdk.turn", { turn, text, toolCalls, toolResults, ... })`.
 * The loop itself re-executes on each engine request and finds finished calls and tools memoised:
 * nothing finished is called, run or paid twice.
 */

export const TURN_CHECKPOINT = "ai-sdk.turn";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

type Target = AiSdkAgentLike | AiSdkCallLike;

/** The prompt part of the input, and whether to stream. */
function promptOf(input: unknown): { prompt: Obj; stream: boolean; options?: unknown } {
  if (input === undefined || input === null) return { prompt: {}, stream: false };
  if (typeof input === "string") return { prompt: { prompt: input }, stream: false };
  if (Array.isArray(input)) return { prompt: { messages: input }, stream: false };
  if (isObj(input)) {
    const prompt: Obj = {};
    if (input.prompt !== undefined) prompt.prompt = input.prompt;
    if (input.messages !== undefined) prompt.messages = input.messages;
    return { prompt, stream: input.stream === true, options: input.options };
  }
  throw new UnsupportedTargetError(
    `the AI SDK adapter takes a prompt string, a list of messages or { prompt | messages, stream?, options? }, not ${typeof input}`,
  );
}

/** The same tools, each execution a durable step (tools without execute are left to the caller). */
function durableTools(tools: unknown, ctx: AdapterContext): unknown {
  if (!isObj(tools)) return tools;
  return Object.fromEntries(
    Object.entries(tools).map(([name, t]) => {
      if (!isObj(t) || typeof t.execute !== "function") return [name, t];
      const execute = t.execute as (input: unknown, options: unknown) => unknown;
      return [
        name,
        {
          ...t,
          execute: (input: unknown, options: unknown) => durableToolCall(ctx, name, () => execute(input, options)),
        },
      ];
    }),
  );
}

type StepLike = {
  text: string;
  finishReason: string;
  toolCalls: { toolName: string; input: unknown }[];
  toolResults: { toolName: string; output: unknown }[];
  usage: { inputTokens?: number; outputTokens?: number };
};

const turnState = (turn: number, s: StepLike) => ({
  turn,
  text: s.text,
  finishReason: s.finishReason,
  toolCalls: s.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })),
  toolResults: s.toolResults.map((r) => ({ toolName: r.toolName, output: r.output })),
  usage: { inputTokens: s.usage.inputTokens ?? null, outputTokens: s.usage.outputTokens ?? null },
});

/** What a generate or stream result is reduced to: the run's JSON output. */
type ResultLike = {
  text: string | PromiseLike<string>;
  finishReason: string | PromiseLike<string>;
  steps: StepLike[] | PromiseLike<StepLike[]>;
  totalUsage: StepLike["usage"] | PromiseLike<StepLike["usage"]>;
};

export type AiSdkRunOutput = {
  text: string;
  finishReason: string;
  steps: number;
  toolCalls: { toolName: string; input: unknown }[];
  toolResults: { toolName: string; output: unknown }[];
  usage: { inputTokens: number | null; outputTokens: number | null };
};

async function outputOf(r: ResultLike): Promise<AiSdkRunOutput> {
  const [text, finishReason, steps, usage] = await Promise.all([r.text, r.finishReason, r.steps, r.totalUsage]);
  return {
    text,
    finishReason,
    steps: steps.length,
    toolCalls: steps.flatMap((s) => s.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input }))),
    toolResults: steps.flatMap((s) => s.toolResults.map((t) => ({ toolName: t.toolName, output: t.output }))),
    usage: { inputTokens: usage.inputTokens ?? null, outputTokens: usage.outputTokens ?? null },
  };
}

export async function runAiSdk(target: Target, input: unknown, ctx: AdapterContext): Promise<AiSdkRunOutput> {
  const [ai, { governModel }] = await Promise.all([import("ai"), import("./ai-sdk-model")]);
  const { prompt, stream: streamInput, options } = promptOf(input);
  let turn = 0;
  const checkpointTurn = async (s: StepLike) => void (await ctx.wflo.checkpoint(TURN_CHECKPOINT, turnState(++turn, s)));
  // streamText reports errors to onError instead of throwing: a budget refusal must still end the run.
  let streamError: unknown;

  if (isAiSdkAgent(target)) {
    const settings = (target as unknown as { settings?: unknown }).settings;
    if (!isObj(settings) || !isLanguageModel(settings.model)) {
      throw new UnsupportedTargetError(
        'the AI SDK adapter needs the agent\'s model as a model object (e.g. model: openai("gpt-4o")), not a model id string, so wflo can govern its calls',
      );
    }
    const Agent = target.constructor as new (s: Obj) => ToolLoopAgentLike;
    const agentName = typeof settings.id === "string" ? settings.id : undefined;
    const agent = new Agent({
      ...settings,
      model: governModel(settings.model, ctx, { agent: agentName }),
      tools: durableTools(settings.tools, ctx),
    });
    const call = { ...prompt, ...(options !== undefined ? { options } : {}), onStepFinish: checkpointTurn };
    if (!streamInput) return outputOf(await agent.generate(call));
    const res = await agent.stream({
      ...call,
      onError: ({ error }: { error: unknown }) => void (streamError ??= error),
    });
    return finishStream(res, () => streamError);
  }

  const { stream, onStepFinish, onError, ...rest } = target;
  const userStep = typeof onStepFinish === "function" ? (onStepFinish as (s: StepLike) => unknown) : undefined;
  const userError = typeof onError === "function" ? (onError as (e: { error: unknown }) => unknown) : undefined;
  const params = {
    ...rest,
    ...prompt,
    model: governModel(target.model, ctx),
    tools: durableTools(rest.tools, ctx),
    onStepFinish: async (s: StepLike) => {
      await userStep?.(s);
      await checkpointTurn(s);
    },
  };
  if (stream === true || streamInput) {
    const res = ai.streamText({
      ...params,
      onError: async (e: { error: unknown }) => {
        streamError ??= e.error;
        await userError?.(e);
      },
    } as unknown as Parameters<typeof ai.streamText>[0]);
    return finishStream(res as unknown as ResultLike & { consumeStream: () => PromiseLike<void> }, () => streamError);
  }
  return outputOf(
    (await ai.generateText(params as unknown as Parameters<typeof ai.generateText>[0])) as unknown as ResultLike,
  );
}

type ToolLoopAgentLike = {
  generate: (call: Obj) => Promise<ResultLike>;
  stream: (call: Obj) => Promise<ResultLike & { consumeStream: () => PromiseLike<void> }>;
};

/** Reads a stream result to its end; an error the stream reported (a budget refusal) is thrown. */
async function finishStream(
  res: ResultLike & { consumeStream: () => PromiseLike<void> },
  error: () => unknown,
): Promise<AiSdkRunOutput> {
  await res.consumeStream();
  const e = error();
  if (e !== undefined) throw e;
  return outputOf(res);
}

export const aiSdkAdapter = defineAdapter<Target>({
  id: "ai-sdk",
  label: "a Vercel AI SDK agent or generateText/streamText call",
  detect: (t): t is Target => isAiSdkAgent(t) || isAiSdkCall(t),
  run: runAiSdk,
});
