import { GenerateContentResponse } from "@google/genai";
import { getDb, type Database } from "@/db/client";
import type { EstimateInput } from "@/server/governance";
import type { MessageLike } from "@/server/governance/estimate/estimate";
import { governedLlmCall } from "@/server/governance/governed";
import type { WfloTrack } from "@/server/llm/provider";

/**
 * Wrapped provider clients: `wflo.wrap(client)` (or `wrapClient(client, ctx)`) returns a proxy
 * of a real `openai`, `@anthropic-ai/sdk` or `@google/genai` client whose call sites stay as
 * they are, while every call that costs money goes through wflo's governance (guards ->
 * estimate -> reserve -> call -> usage -> price -> settle; a refused budget stops before the call).
 *
 * Inside a workflow (`ctx` has `trackLlmCall`, i.e. `ctx.wflo`) each call is ONE durable step
 * with the id `llm:<model>:<n>` (n counts calls to that model in this run, in call order, so the
 * id is the same on every replay): a finished call is memoised and never made or paid twice.
 * Outside a workflow (`ctx` is a governance context) each call is governed directly, no step.
 */

/** Which SDK method a call went through. */
export type WrappedApi = "openai.chat" | "openai.responses" | "anthropic.messages" | "google.generate";

/** Methods that are tracked, by their path on the client. */
const TRACKED: Readonly<Record<string, WrappedApi>> = {
  "chat.completions.create": "openai.chat",
  "chat.completions.parse": "openai.chat",
  "responses.create": "openai.responses",
  "responses.parse": "openai.responses",
  "messages.create": "anthropic.messages",
  "models.generateContent": "google.generate",
};

/** Streaming methods: refused rather than let through untracked (their result cannot be one memoised step). */
const REFUSED = new Set([
  "chat.completions.stream",
  "chat.completions.runTools",
  "responses.stream",
  "messages.stream",
  "models.generateContentStream",
]);

/** Objects on the way to a tracked method; everything else is handed back untouched. */
const PROXIED = new Set(["chat", "chat.completions", "responses", "messages", "models"]);

export type WrapOptions = {
  /** Recorded on every call (budgets of scope `agent` apply). */
  agent?: string;
  tags?: string[];
  /** Step ids are `<prefix>:<model>:<n>`; default `llm`. Give each wrapped agent its own to keep ids apart. */
  prefix?: string;
};

/** The wflo workflow context (or anything with its `trackLlmCall`): calls become durable steps. */
export type WorkflowWrapContext = { trackLlmCall: WfloTrack };

/** Outside a workflow: the governance context calls are recorded and budgeted under. */
export type PlainWrapContext = {
  runId: string;
  workflow: string;
  userId?: string | null;
  apiKeyId?: string | null;
  perRunLimitNano?: bigint;
  /** Defaults to the app's database. */
  db?: Database;
};

export type WrapContext = WorkflowWrapContext | PlainWrapContext;

export class WrappedCallError extends Error {
  override name = "WrappedCallError";
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Plain text of any of the providers' content shapes (string, parts, blocks, Google Content). */
function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(textOf).filter(Boolean).join("\n");
  if (isObj(v)) {
    if (typeof v.text === "string") return v.text;
    if (v.parts !== undefined) return textOf(v.parts);
    if (v.content !== undefined) return textOf(v.content);
  }
  return "";
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function messagesOf(list: unknown): MessageLike[] {
  if (!Array.isArray(list)) return [];
  return list.map((m) =>
    isObj(m)
      ? {
          role: typeof m.role === "string" ? m.role : undefined,
          content: textOf(m.content ?? m.parts ?? m.output ?? m),
        }
      : { role: "user", content: textOf(m) },
  );
}

function hasCacheControl(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasCacheControl);
  return isObj(v) && (v.cache_control !== undefined || hasCacheControl(v.content));
}

/** What the call is estimated (worst case) and priced as, read from the request body the SDK got. */
export function estimateInputOf(api: WrappedApi, body: unknown): EstimateInput {
  const b = isObj(body) ? body : {};
  const model = typeof b.model === "string" ? b.model : "";
  if (!model) throw new WrappedCallError(`${api}: the request names no model`);
  switch (api) {
    case "openai.chat":
      return {
        model,
        provider: "openai",
        messages: messagesOf(b.messages),
        tools: b.tools,
        maxOutputTokens: num(b.max_completion_tokens) ?? num(b.max_tokens),
      };
    case "openai.responses":
      return {
        model,
        provider: "openai",
        system: typeof b.instructions === "string" ? b.instructions : undefined,
        ...(typeof b.input === "string" ? { prompt: b.input } : { messages: messagesOf(b.input) }),
        tools: b.tools,
        maxOutputTokens: num(b.max_output_tokens),
      };
    case "anthropic.messages":
      return {
        model,
        provider: "anthropic",
        system: textOf(b.system) || undefined,
        messages: messagesOf(b.messages),
        tools: b.tools,
        maxOutputTokens: num(b.max_tokens),
        promptCaching: hasCacheControl(b.system) || hasCacheControl(b.messages),
      };
    case "google.generate": {
      const config = isObj(b.config) ? b.config : {};
      const contents = b.contents;
      // contents: a string, one Content, a list of Contents, or a list of parts/strings (one user turn).
      const turns =
        typeof contents === "string"
          ? [{ role: "user", content: contents }]
          : Array.isArray(contents) && contents.some((c) => isObj(c) && c.parts !== undefined)
            ? messagesOf(contents)
            : [
                {
                  role: isObj(contents) && typeof contents.role === "string" ? contents.role : "user",
                  content: textOf(contents),
                },
              ];
      return {
        model: model.replace(/^models\//, ""),
        provider: "google",
        system: textOf(config.systemInstruction) || undefined,
        messages: turns,
        tools: config.tools,
        maxOutputTokens: num(config.maxOutputTokens),
      };
    }
  }
}

/** A memoised step result is JSON; Google's response class carries getters (`.text`) callers use. */
function revive(api: WrappedApi, result: unknown): unknown {
  if (api === "google.generate" && isObj(result) && !(result instanceof GenerateContentResponse))
    Object.setPrototypeOf(result, GenerateContentResponse.prototype);
  return result;
}

/** Per-run call counters, shared by every client wrapped on the same context. */
const counters = new WeakMap<object, Map<string, number>>();

function nextStepId(key: object, prefix: string, model: string): string {
  let m = counters.get(key);
  if (!m) counters.set(key, (m = new Map()));
  const base = `${prefix}:${model}`;
  const n = (m.get(base) ?? 0) + 1;
  m.set(base, n);
  return `${base}:${n}`;
}

const isWorkflowContext = (ctx: WrapContext): ctx is WorkflowWrapContext =>
  typeof (ctx as WorkflowWrapContext).trackLlmCall === "function";

type Runner = (stepId: string, request: EstimateInput, call: () => Promise<unknown>) => Promise<unknown>;

function runnerFor(ctx: WrapContext, opts: WrapOptions): Runner {
  if (isWorkflowContext(ctx))
    return (stepId, request, call) =>
      ctx.trackLlmCall(stepId, { ...request, agent: opts.agent, tags: opts.tags }, call);
  return async (stepId, request, call) =>
    (
      await governedLlmCall(
        ctx.db ?? getDb(),
        {
          runId: ctx.runId,
          stepId,
          workflow: ctx.workflow,
          agent: opts.agent,
          tags: opts.tags,
          userId: ctx.userId,
          apiKeyId: ctx.apiKeyId,
          perRunLimitNano: ctx.perRunLimitNano,
        },
        request,
        call,
      )
    ).result;
}

/**
 * A proxy of `client` whose LLM calls are governed; its type and every other method are the
 * client's own. Tracked: OpenAI `chat.completions.create|parse`, `responses.create|parse`;
 * Anthropic `messages.create`; Google `models.generateContent`. Streaming (`stream: true`,
 * `.stream()`, `generateContentStream`) is refused with a WrappedCallError.
 */
export function wrapClient<C extends object>(client: C, ctx: WrapContext, opts: WrapOptions = {}): C {
  const run = runnerFor(ctx, opts);
  const counterKey: object = isWorkflowContext(ctx) ? ctx.trackLlmCall : ctx;
  const prefix = opts.prefix ?? "llm";

  const tracked =
    (api: WrappedApi, path: string, target: object, method: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      const [body] = args;
      if (isObj(body) && body.stream === true)
        throw new WrappedCallError(
          `${path}: streaming is not supported by wrapped clients yet; call without stream, or use wflo.trackLlmCall with opts.usageOf`,
        );
      const request = estimateInputOf(api, body);
      const stepId = nextStepId(counterKey, prefix, request.model);
      return revive(
        api,
        await run(stepId, request, async () => await (method.apply(target, args) as Promise<unknown>)),
      );
    };

  const proxy = <T extends object>(target: T, path: string): T =>
    new Proxy(target, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof prop !== "string") return value;
        const at = path ? `${path}.${prop}` : prop;
        if (typeof value === "function") {
          const api = TRACKED[at];
          if (api) return tracked(api, at, t, value as (...args: unknown[]) => unknown);
          if (REFUSED.has(at))
            return () => {
              throw new WrappedCallError(
                `${at}: streaming is not supported by wrapped clients yet; use the non-streaming call, or wflo.trackLlmCall with opts.usageOf`,
              );
            };
          // The SDKs keep private fields: their methods must run on the real object.
          return (value as (...a: unknown[]) => unknown).bind(t);
        }
        if (PROXIED.has(at) && value && typeof value === "object") return proxy(value, at);
        return value;
      },
    });

  return proxy(client, "");
}
