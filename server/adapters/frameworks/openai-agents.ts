import OpenAI from "openai";
import type { Agent, FunctionTool, Handoff, Model, ModelRequest, ModelResponse, Tool } from "@openai/agents-core";
import { defineAdapter, type AdapterContext, type FrameworkAdapter } from "../framework";
import { refuse } from "./refuse";
import { WrappedCallError } from "../wrap-client";
import { durableToolCall } from "./step-ids";

/**
 * OpenAI Agents SDK (`@openai/agents`): runs an existing `Agent` (and the agents it hands off
 * to) inside the workflow, unchanged in what it says and does:
 *
 * - every model call goes through an OpenAI client wrapped with `wflo.wrap` (one durable,
 *   governed step `llm:<model>:<n>` per call, recorded with the agent's name: budget checked
 *   before the provider sees the request, tokens and catalogue cost recorded after);
 * - every function tool call is one durable step `tool:<name>:<n>`, so the agent loop (which
 *   re-executes on every engine request, outside any step) never re-runs a finished tool;
 * - after every model turn, `wflo.checkpoint("openai-agents.turn", { agent, turn, output })`
 *   saves which agent answered and what it said (a handoff shows as its transfer call);
 * - tracing is off for the run: nothing is exported to OpenAI.
 *
 * Retried after a crash, the run replays its memoised steps: finished calls and tools are
 * neither made nor paid again; a call that was in flight is replayed from `llm_call_results`
 * when it had settled, else made again (see governed.ts).
 *
 * Not governed: a guardrail function that calls the SDK's global `run()` itself (another
 * runner, with the SDK's default provider); agents used as tools are (they inherit this run's
 * config), though their own tools are not steps.
 *
 * Which OpenAI endpoint: `options.client` (any `openai` client), else `options.apiKey` /
 * `options.baseURL`, else the Agents SDK's own default client (`setDefaultOpenAIClient`), else
 * `new OpenAI()` (OPENAI_API_KEY / OPENAI_BASE_URL, as the SDK itself would).
 */

export type OpenAIAgentsOptions = {
  client?: OpenAI;
  apiKey?: string;
  baseURL?: string;
  /** Responses API (the SDK's default) or Chat Completions; default: the SDK's `setOpenAIAPI` choice. */
  useResponses?: boolean;
  /** The SDK's `maxTurns` for the run. */
  maxTurns?: number;
};

export const TURN_CHECKPOINT = "openai-agents.turn";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;
const fn = (o: Obj, k: string) => typeof o[k] === "function";

/** An `Agent` of @openai/agents-core, by shape: name, tool/handoff/guardrail lists, clone/asTool. */
export function isOpenAIAgent(target: unknown): target is Agent {
  if (!isObj(target) || typeof target.name !== "string") return false;
  return (
    Array.isArray(target.tools) &&
    Array.isArray(target.handoffs) &&
    Array.isArray(target.inputGuardrails) &&
    Array.isArray(target.outputGuardrails) &&
    fn(target, "clone") &&
    fn(target, "asTool") &&
    fn(target, "getSystemPrompt")
  );
}

/** The run's input as the SDK takes it: a string or a list of input items (or `{ input | prompt }`, as `WfloWorkflow.execute` passes inputs). */
function inputOf(input: unknown): string | unknown[] {
  if (typeof input === "string" || Array.isArray(input)) return input;
  if (isObj(input) && (typeof input.input === "string" || Array.isArray(input.input)))
    return input.input as string | unknown[];
  if (isObj(input) && typeof input.prompt === "string") return input.prompt;
  refuse(
    `the OpenAI Agents SDK adapter takes a string, a list of input items, { input } or { prompt }, not ${input === null ? "null" : typeof input}`,
  );
}

/** Resolves the client the agents' calls go through (see the module comment for the order). */
async function baseClient(opts: OpenAIAgentsOptions): Promise<OpenAI> {
  if (opts.client) return opts.client;
  if (opts.apiKey !== undefined || opts.baseURL !== undefined)
    return new OpenAI({ apiKey: opts.apiKey, baseURL: opts.baseURL });
  const { getDefaultOpenAIClient } = await import("@openai/agents-openai");
  // The SDK pins its own `openai` major; the client it holds has the same API surface.
  return (getDefaultOpenAIClient() as unknown as OpenAI | undefined) ?? new OpenAI();
}

export async function runOpenAIAgent(
  agent: Agent,
  input: unknown,
  ctx: AdapterContext,
  opts: OpenAIAgentsOptions = {},
): Promise<{ finalOutput: unknown; lastAgent: string | null }> {
  const runInput = inputOf(input);
  const [{ Runner, getDefaultModel }, { OpenAIProvider }] = await Promise.all([
    import("@openai/agents-core"),
    import("@openai/agents-openai"),
  ]);
  const client = await baseClient(opts);
  const { wflo } = ctx;
  let turn = 0;

  /** A provider whose client records every call under `agentName`; never the websocket transport (it would bypass governance). */
  const providerFor = (agentName?: string) =>
    new OpenAIProvider({
      // The SDK types its own `openai` major's client; the wrapped one has the same API surface.
      openAIClient: wflo.wrap(client, agentName ? { agent: agentName } : {}) as never,
      useResponses: opts.useResponses,
      useResponsesWebSocket: false,
    });

  const governedModel = (inner: Model, agentName: string): Model => ({
    supportsPromptModelSelection: inner.supportsPromptModelSelection,
    getResponse: async (request: ModelRequest): Promise<ModelResponse> => {
      const res = await inner.getResponse(request);
      turn += 1;
      await wflo.checkpoint(TURN_CHECKPOINT, {
        agent: agentName,
        turn,
        output: res.output,
        usage: { inputTokens: res.usage.inputTokens, outputTokens: res.usage.outputTokens },
      });
      return res;
    },
    getStreamedResponse: () => {
      throw new WrappedCallError(
        "streamed Agents SDK runs are not supported in wflo workflows yet: the adapter runs them without stream",
      );
    },
  });

  const durableTool = (t: Tool): Tool => {
    // An agent used as a tool (`agent.asTool()`, which adds `on`) runs a nested Runner: left at the
    // workflow level, its own model calls become governed steps (steps cannot nest).
    if (t.type !== "function" || typeof (t as { on?: unknown }).on === "function") return t;
    const ft = t as FunctionTool;
    return {
      ...ft,
      invoke: async (runContext, toolInput, details) =>
        durableToolCall(ctx, ft.name, () => ft.invoke(runContext, toolInput, details)),
    } as FunctionTool as Tool;
  };

  // The agent graph, each agent copied with a governed model and durable tools; handoffs point
  // at the copies (cycles such as triage <-> specialist are kept).
  const copies = new Map<Agent, Agent>();
  const copy = async (a: Agent): Promise<Agent> => {
    const done = copies.get(a);
    if (done) return done;
    if (typeof a.model !== "string") {
      refuse(
        `agent "${a.name}" has a Model object; give it a model name (model: "gpt-4o-mini") so wflo can supply the governed client`,
      );
    }
    const inner = await providerFor(a.name).getModel(a.model || getDefaultModel());
    const c = a.clone({ model: governedModel(inner, a.name), tools: a.tools.map(durableTool) });
    copies.set(a, c);
    // One at a time: every agent is registered before its handoffs are followed, so a cycle or
    // an agent reached twice maps to the one copy.
    const handoffs: (Agent | Handoff)[] = [];
    for (const h of a.handoffs)
      handoffs.push(
        isOpenAIAgent(h) ? await copy(h) : (h as Handoff).clone({ agent: await copy((h as Handoff).agent as Agent) }),
      );
    c.handoffs = handoffs as typeof c.handoffs;
    return c;
  };
  const start = await copy(agent);

  const fallback = providerFor();
  const runner = new Runner({
    tracingDisabled: true,
    modelProvider: { getModel: (name?: string) => fallback.getModel(name) },
  });
  const result = await runner.run(
    start,
    runInput as Parameters<typeof runner.run>[1],
    opts.maxTurns ? { maxTurns: opts.maxTurns } : {},
  );
  return { finalOutput: result.finalOutput ?? null, lastAgent: result.lastAgent?.name ?? null };
}

/** An adapter with fixed options (client, endpoint); the registry's uses the SDK's own default client. */
export function openAIAgentsAdapter(opts: OpenAIAgentsOptions = {}): FrameworkAdapter<unknown> {
  return defineAdapter<Agent>({
    id: "openai-agents",
    label: "an OpenAI Agents SDK Agent",
    detect: isOpenAIAgent,
    run: (agent, input, ctx) => runOpenAIAgent(agent, input, ctx, opts),
  });
}

export const openAIAgents = openAIAgentsAdapter();
