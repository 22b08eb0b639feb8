import type { Agent, Network, StateData } from "@inngest/agent-kit";
import type { EstimateInput } from "@/server/governance";
import { defineAdapter, type AdapterContext, type FrameworkAdapter } from "../framework";
import { refuse } from "./refuse";
import { estimateInputOf, type WrappedApi } from "../wrap-client";
import { countedStepId } from "./step-ids";

/**
 * Inngest AgentKit (`@inngest/agent-kit`): runs an existing Network (or a single Agent) inside
 * the workflow, its loop re-executed on every engine request as AgentKit expects.
 *
 * Why govern `step.ai.infer` in the app: AgentKit makes every model call with the ambient
 * step tools' `step.ai.infer`, which an Inngest server (here the embedded engine,
 * inngest/engine/gateway.ts) performs itself, out of wflo's sight: no budget before the call,
 * no tokens or cost after. The adapter runs the network with the same ambient context
 * (inngest's AsyncLocalStorage, `runWithAsyncCtx`) but step tools whose `ai.infer` is a
 * governed call made here: `wflo.trackLlmCall` as one durable step `agentkit:<model>:<n>`
 * (guards, budget reservation BEFORE the request, the provider's usage priced and settled
 * after, the raw answer memoised and replayed unpaid), recorded under the calling agent's
 * name. It posts exactly what the engine would have posted (same URL, body, auth header).
 * The provider key therefore stays in the app instead of travelling to the engine. Every
 * other step tool is untouched. Tool handlers run as AgentKit runs them: outside any step,
 * with the step tools in their options, so their side effects belong in `step.run` (AgentKit's
 * own convention; MCP tools are steps already). The adapter does not wrap handlers in a step
 * because handlers that call `step.run` themselves would then nest steps, which Inngest refuses.
 *
 * Checkpoints: after each agent's turn in a network (when the router is asked what next)
 * `wflo.checkpoint("agentkit.agent", { agent, callCount, output, toolCalls, state })`; a
 * single Agent checkpoints its result once.
 */

export const AGENT_CHECKPOINT = "agentkit.agent";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;
const fn = (o: Obj, k: string) => typeof o[k] === "function";

export function isAgentKitNetwork(t: unknown): t is KitNetwork {
  return (
    isObj(t) &&
    typeof t.name === "string" &&
    t.agents instanceof Map &&
    fn(t, "run") &&
    fn(t, "addAgent") &&
    fn(t, "availableAgents")
  );
}

export function isAgentKitAgent(t: unknown): t is KitAgent {
  return (
    isObj(t) &&
    typeof t.name === "string" &&
    t.tools instanceof Map &&
    fn(t, "run") &&
    fn(t, "withModel") &&
    fn(t, "setTools") &&
    "system" in t
  );
}

type KitNetwork = Network<StateData>;
type KitAgent = Agent<StateData>;

/** An @inngest/ai model adapter as AgentKit hands it to `step.ai.infer`. */
type AiAdapter = {
  format?: string;
  url?: string;
  authKey?: string;
  headers?: Record<string, string>;
  options?: { model?: string };
  onCall?: (copy: AiAdapter, body: Obj) => void;
};

const FORMATS: Readonly<Record<string, WrappedApi>> = {
  "openai-chat": "openai.chat",
  anthropic: "anthropic.messages",
  gemini: "google.generate",
};

/** What the call is estimated and priced as; Gemini's REST body is mapped to the SDK shape estimateInputOf reads. */
function estimateOf(api: WrappedApi, model: AiAdapter, body: Obj): EstimateInput {
  if (api !== "google.generate") return estimateInputOf(api, { model: model.options?.model, ...body });
  const gen = isObj(body.generationConfig) ? body.generationConfig : {};
  return estimateInputOf(api, {
    model: model.options?.model,
    contents: body.contents,
    config: { systemInstruction: body.systemInstruction, tools: body.tools, maxOutputTokens: gen.maxOutputTokens },
  });
}

/** The request the engine's AIGateway would make (inngest/engine/gateway.ts), made here. */
async function post(model: AiAdapter, body: Obj): Promise<unknown> {
  const headers: Record<string, string> = { "content-type": "application/json", ...model.headers };
  const key = model.authKey;
  // Each provider format carries the key its own way (Gemini's is already in the URL).
  if (key && model.format === "anthropic") {
    headers["x-api-key"] = key;
    headers["anthropic-version"] ??= "2023-06-01";
  } else if (key && model.format !== "gemini") headers.authorization = `Bearer ${key}`;
  const res = await fetch(model.url!, { method: "POST", headers, body: JSON.stringify(body) }).catch((err: unknown) => {
    // undici says only "fetch failed"; the host is what an operator needs to see (never the key).
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`AgentKit model call: cannot reach ${new URL(model.url!).origin} (${cause})`, { cause: err });
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`AgentKit model call: the provider answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/** `step.ai.infer(agentName, { model, body })` as a governed, durable call made by the app. */
function governedInfer(ctx: AdapterContext) {
  return async (agentName: string, opts: { model: AiAdapter; body: Obj }): Promise<unknown> => {
    const model = { ...opts.model };
    const body = opts.body;
    // What inngest's own step.ai.infer does first: the adapter fills in the model and defaults.
    opts.model.onCall?.(model, body);
    const api = FORMATS[model.format ?? ""];
    if (!api)
      refuse(
        `AgentKit model format "${model.format}" is not governed by wflo yet (supported: ${Object.keys(FORMATS).join(", ")})`,
      );
    if (!model.url) refuse(`AgentKit model for agent "${agentName}" has no URL`);
    const request = estimateOf(api, model, body);
    return ctx.wflo.trackLlmCall(
      countedStepId(ctx.wflo.trackLlmCall, `agentkit:${request.model}`),
      { ...request, agent: agentName },
      () => post(model, body),
    );
  };
}

/** Runs `work` with AgentKit's ambient step tools swapped for ones whose ai.infer is governed. */
async function withGovernedInfer<R>(ctx: AdapterContext, work: () => Promise<R>): Promise<R> {
  const { getAsyncCtx, runWithAsyncCtx } = await import("inngest/experimental");
  const store = await getAsyncCtx();
  const exec = store?.execution;
  if (!store || !exec) refuse("the AgentKit adapter must run inside a wflo workflow (no Inngest execution context)");
  const step = exec.ctx.step as unknown as Obj & { ai: Obj };
  const infer = governedInfer(ctx);
  const governed = new Proxy(step, {
    get(t, prop) {
      if (prop === "ai") return { ...t.ai, infer };
      const v: unknown = Reflect.get(t, prop, t);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return runWithAsyncCtx(
    { ...store, execution: { ...exec, ctx: { ...exec.ctx, step: governed } as typeof exec.ctx } },
    work,
  );
}

/** The run's input as AgentKit takes it: a string, or `{ content | input | prompt }`. */
function inputOf(input: unknown): string {
  if (typeof input === "string") return input;
  if (isObj(input) && typeof input.content === "string") return input.content;
  if (isObj(input) && typeof input.input === "string") return input.input;
  if (isObj(input) && typeof input.prompt === "string") return input.prompt;
  refuse(
    `the AgentKit adapter takes a string, { content }, { input } or { prompt }, not ${input === null ? "null" : typeof input}`,
  );
}

type Result = { agentName: string; output: unknown[]; toolCalls: unknown[] };
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v ?? null)) as T;
const summary = (r: Result) => json({ agent: r.agentName, output: r.output, toolCalls: r.toolCalls });

export async function runAgentKitNetwork(network: KitNetwork, input: unknown, ctx: AdapterContext) {
  const text = inputOf(input);
  const { getDefaultRoutingAgent } = await import("@inngest/agent-kit");
  const original = network.router ?? (network.defaultModel ? getDefaultRoutingAgent() : undefined);
  if (!original)
    refuse(`AgentKit network "${network.name}" has no router and no defaultModel for the built-in routing agent`);
  type FnRouter = Extract<NonNullable<KitNetwork["router"]>, (...a: never[]) => unknown>;
  // Asked after every agent's turn: the natural point for a checkpoint of what that agent did.
  const router: FnRouter = async (args) => {
    const last = args.lastResult as Result | undefined;
    if (last)
      await ctx.wflo.checkpoint(AGENT_CHECKPOINT, {
        ...summary(last),
        callCount: args.callCount,
        state: json(args.network.state.data),
      });
    return typeof original === "function" ? original(args) : original;
  };
  const run = await withGovernedInfer(ctx, () => network.run(text, { router }));
  const results = (run.state.results as unknown as Result[]).map(summary);
  return { results, state: json(run.state.data), lastAgent: results.at(-1)?.agent ?? null };
}

export async function runAgentKitAgent(agent: KitAgent, input: unknown, ctx: AdapterContext) {
  const text = inputOf(input);
  const result = (await withGovernedInfer(ctx, () => agent.run(text))) as unknown as Result;
  return ctx.wflo.checkpoint(AGENT_CHECKPOINT, summary(result));
}

export const agentKit: FrameworkAdapter<unknown> = defineAdapter<KitNetwork | KitAgent>({
  id: "agentkit",
  label: "an Inngest AgentKit Network or Agent",
  detect: (t): t is KitNetwork | KitAgent => isAgentKitNetwork(t) || isAgentKitAgent(t),
  run: (t, input, ctx) =>
    isAgentKitNetwork(t) ? runAgentKitNetwork(t, input, ctx) : runAgentKitAgent(t as KitAgent, input, ctx),
});
