import type { Agent as MastraAgent } from "@mastra/core/agent";
import { defineAdapter, type AdapterContext } from "../framework";
import { refuse } from "./refuse";
import { isLanguageModel } from "./ai-sdk-detect";
import { durableToolCall } from "./step-ids";

/**
 * Mastra (`@mastra/core` 1.x): runs an existing Mastra `Agent` inside the workflow, unchanged
 * in what it says and does. The agent is forked (Mastra's own lightweight clone) and the fork
 * gets:
 *
 * - its AI SDK model wrapped with `governModel` (ai-sdk-model.ts): every model call one durable,
 *   governed step `mastra:<modelId>:<n>` recorded under the agent's name (budget checked before
 *   the provider sees the request; provider-reported tokens at the catalogue price after);
 * - its tools, each execution one durable step `tool:<id>:<n>`;
 * - after every model step, `wflo.checkpoint("mastra.step", { turn, text, finishReason, ... })`.
 *
 * The agent's loop re-executes on every engine request and finds finished calls and tools
 * memoised: nothing finished is called, run or paid twice. The original agent is not changed.
 *
 * The model must be an AI SDK model object (LanguageModelV3, e.g. `openai("gpt-4o-mini")` of
 * `@ai-sdk/openai` 3): a Mastra model-router id ("openai/gpt-4o") resolves to Mastra's own
 * gateway model, which wflo cannot govern yet, and is refused with a clear error.
 * Sub-agents, workflows and scorers on the agent make model calls outside its model and are
 * refused (a clear error) until they are governed too.
 * Mastra's product telemetry (PostHog) is sent by a `Mastra` instance, not by agents: this
 * adapter creates none; set MASTRA_TELEMETRY_DISABLED=1 where the app builds its own.
 */

export const STEP_CHECKPOINT = "mastra.step";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const fn = (o: Obj, k: string) => typeof o[k] === "function";

/** A Mastra Agent by shape: id/name, generate/stream, and the fork/model/tools hooks this adapter uses. */
export function isMastraAgent(t: unknown): t is MastraAgent {
  return (
    isObj(t) &&
    typeof t.name === "string" &&
    typeof t.id === "string" &&
    fn(t, "generate") &&
    fn(t, "stream") &&
    fn(t, "__fork") &&
    fn(t, "__updateModel") &&
    fn(t, "__setTools") &&
    fn(t, "listTools")
  );
}

/** The messages as Mastra's generate takes them: a string, a list of messages, or { messages | prompt | input }. */
function messagesOf(input: unknown): string | unknown[] {
  if (typeof input === "string" || Array.isArray(input)) return input;
  if (isObj(input) && (typeof input.messages === "string" || Array.isArray(input.messages)))
    return input.messages as string | unknown[];
  if (isObj(input) && typeof input.prompt === "string") return input.prompt;
  if (isObj(input) && typeof input.input === "string") return input.input;
  refuse(
    `the Mastra adapter takes a string, a list of messages or { messages | prompt | input }, not ${input === null ? "null" : typeof input}`,
  );
}

/** The same tools (same class, so Mastra's own input validation still runs), each execution a durable step. */
function durableTools(tools: Obj, ctx: AdapterContext): Obj {
  return Object.fromEntries(
    Object.entries(tools).map(([name, t]) => {
      if (!isObj(t) || typeof t.execute !== "function") return [name, t];
      const execute = t.execute as (input: unknown, context: unknown) => unknown;
      const copy = Object.assign(Object.create(Object.getPrototypeOf(t) as object) as Obj, t, {
        execute: (input: unknown, context: unknown) =>
          durableToolCall(ctx, name, () => execute.call(t, input, context)),
      });
      return [name, copy];
    }),
  );
}

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null)) as T;
type StepLike = {
  text?: string;
  finishReason?: string;
  toolCalls?: unknown[];
  toolResults?: unknown[];
  usage?: { inputTokens?: number; outputTokens?: number };
};
const usageOf = (u: StepLike["usage"]) => ({
  inputTokens: u?.inputTokens ?? null,
  outputTokens: u?.outputTokens ?? null,
});

export type MastraRunOutput = {
  text: string;
  finishReason: string | null;
  steps: number;
  toolResults: unknown[];
  usage: { inputTokens: number | null; outputTokens: number | null };
};

export async function runMastraAgent(
  agent: MastraAgent,
  input: unknown,
  ctx: AdapterContext,
): Promise<MastraRunOutput> {
  const messages = messagesOf(input);
  const { governModel } = await import("./ai-sdk-model");
  // The configured model; a dynamic one (a function of the request context) is resolved first.
  const configured: unknown = (agent as unknown as { model?: unknown }).model;
  const model: unknown = typeof configured === "function" ? await agent.getModel() : configured;
  if (!isLanguageModel(model)) {
    refuse(
      `Mastra agent "${agent.name}": wflo governs AI SDK model objects (e.g. model: openai("gpt-4o-mini") from @ai-sdk/openai)${typeof model === "string" ? `, not the model-router id "${model}"` : ""}; model fallback lists are not supported yet`,
    );
  }
  // Parts that make model calls of their own, outside this agent's model: not governed yet, so refused rather than run ungoverned.
  const [subAgents, workflows, scorers] = await Promise.all([
    agent.listAgents(),
    agent.listWorkflows(),
    agent.listScorers(),
  ]);
  const ungoverned = [
    ...Object.keys(subAgents ?? {}).map((n) => `sub-agent "${n}"`),
    ...Object.keys(workflows ?? {}).map((n) => `workflow "${n}"`),
    ...Object.keys(scorers ?? {}).map((n) => `scorer "${n}"`),
  ];
  if (ungoverned.length)
    refuse(
      `Mastra agent "${agent.name}" has ${ungoverned.join(", ")}: their model calls would not be governed by wflo, which the Mastra adapter does not support yet`,
    );
  const fork = agent.__fork();
  fork.__updateModel({ model: governModel(model, ctx, { prefix: "mastra", agent: agent.name }) });
  fork.__setTools(durableTools((await agent.listTools()) as Obj, ctx) as never);

  let turn = 0;
  const onStepFinish = async (s: StepLike) => {
    turn += 1;
    await ctx.wflo.checkpoint(STEP_CHECKPOINT, {
      agent: agent.name,
      turn,
      text: s.text ?? "",
      finishReason: s.finishReason ?? null,
      toolCalls: json(s.toolCalls ?? []),
      toolResults: json(s.toolResults ?? []),
      usage: usageOf(s.usage),
    });
  };
  const res = (await fork.generate(messages as never, { onStepFinish } as never)) as unknown as StepLike & {
    steps?: unknown[];
    error?: unknown;
  };
  // Mastra may report a failed model call on the result instead of throwing: a budget refusal must still end the run.
  if (res.error) throw res.error;
  return {
    text: res.text ?? "",
    finishReason: res.finishReason ?? null,
    steps: res.steps?.length ?? turn,
    toolResults: json(res.toolResults ?? []),
    usage: usageOf(res.usage),
  };
}

export const mastraAdapter = defineAdapter<MastraAgent>({
  id: "mastra",
  label: "a Mastra Agent",
  detect: isMastraAgent,
  run: runMastraAgent,
});
