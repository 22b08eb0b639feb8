import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { BaseMessage } from "@langchain/core/messages";
import type { LLMResult } from "@langchain/core/outputs";
import type { Serialized } from "@langchain/core/load/serializable";
import { getDb, type Database } from "@/db/client";
import type { MessageLike } from "@/server/governance/estimate/estimate";
import type { EstimateInput } from "@/server/governance";
import { governedLlmCall } from "@/server/governance/governed";

/**
 * `WfloCallbackHandler`: a LangChain callback handler that governs every chat model / LLM call
 * made under it (`callbacks: [handler]` on a model, chain, agent or LangGraph graph):
 *
 * - `handleChatModelStart` / `handleLLMStart` run wflo's guards and reserve the worst-case cost
 *   on every applicable budget BEFORE the request is sent. The handler is awaited and raises
 *   (`awaitHandlers`, `raiseError`), so a refusal (BudgetExceededError, GuardTrippedError)
 *   throws out of the model call and the provider never sees the request;
 * - `handleLLMEnd` settles the call with the tokens the provider reported (the AIMessage's
 *   `usage_metadata` / `llmOutput.tokenUsage`), priced from the catalogue, as `llm_calls` rows;
 *   `handleLLMError` records the failed call (no charge).
 *
 * It is `governedLlmCall` split across the callbacks: the "call" it governs is the wait for the
 * model's end event. Callbacks can observe a call but not answer it, so a call is never replayed
 * from a stored result here: durability comes from where the handler runs (the LangGraph adapter
 * runs one superstep per durable step and resumes after the last finished one).
 */

export type LangChainGovernance = {
  runId: string;
  workflow: string;
  /** Each call is recorded as step `<stepPrefix>:<model>:<n>` (n in call order). */
  stepPrefix: string;
  userId?: string | null;
  apiKeyId?: string | null;
  perRunLimitNano?: bigint;
  agent?: string;
  tags?: string[];
  /** Defaults to the app's database. */
  db?: Database;
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(textOf).filter(Boolean).join("\n");
  if (isObj(v) && typeof v.text === "string") return v.text;
  return "";
}

/** LangChain's provider names (`ls_provider`) for the providers wflo prices. */
const PROVIDERS: Readonly<Record<string, string>> = {
  openai: "openai",
  azure: "openai",
  anthropic: "anthropic",
  google_genai: "google",
  google_vertexai: "google",
  google: "google",
};

function messageOf(m: BaseMessage): MessageLike {
  const toolCalls =
    "tool_calls" in m && Array.isArray(m.tool_calls)
      ? m.tool_calls.map((c: { name: string; args: unknown }) => `${c.name}${JSON.stringify(c.args)}`)
      : [];
  return { role: m.getType(), content: [textOf(m.content), ...toolCalls].filter(Boolean).join("\n") };
}

/** What the call is estimated (worst case) and priced as, from what LangChain tells the callbacks. */
export function estimateOf(
  prompt: { messages?: BaseMessage[]; prompts?: string[] },
  extraParams: Obj | undefined,
  metadata: Obj | undefined,
): EstimateInput {
  const inv = isObj(extraParams?.invocation_params) ? extraParams.invocation_params : {};
  const model = str(inv.model) ?? str(inv.model_name) ?? str(inv.modelName) ?? str(metadata?.ls_model_name);
  if (!model)
    throw new Error(
      "wflo: a LangChain model call named no model (no invocation_params.model / ls_model_name); it cannot be budgeted",
    );
  const provider = PROVIDERS[str(metadata?.ls_provider) ?? ""];
  const maxOutputTokens =
    num(inv.max_tokens) ?? num(inv.max_completion_tokens) ?? num(inv.maxTokens) ?? num(metadata?.ls_max_tokens);
  return {
    model,
    provider,
    ...(prompt.messages ? { messages: prompt.messages.map(messageOf) } : { prompt: (prompt.prompts ?? []).join("\n") }),
    tools: inv.tools,
    maxOutputTokens,
  };
}

/** Where the provider's usage is in an LLMResult: the chat message (usage_metadata), else llmOutput. */
export function usageOfResult(r: LLMResult): unknown {
  const first = r.generations?.[0]?.[0] as { message?: unknown } | undefined;
  if (first?.message) return first.message;
  const out = r.llmOutput ?? {};
  const t = isObj(out.tokenUsage)
    ? out.tokenUsage
    : isObj(out.estimatedTokenUsage)
      ? out.estimatedTokenUsage
      : undefined;
  return t ? { response_metadata: { tokenUsage: t, model_name: out.model_name } } : out;
}

type Pending = { end: (r: LLMResult) => void; fail: (e: unknown) => void; settled: Promise<unknown> };

export class WfloCallbackHandler extends BaseCallbackHandler {
  name = "wflo";
  override awaitHandlers = true;
  override raiseError = true;
  private readonly pending = new Map<string, Pending>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly gov: LangChainGovernance) {
    super();
  }

  /** The recorded step id of the next call to `model`. */
  private stepIdFor(model: string): string {
    const n = (this.counts.get(model) ?? 0) + 1;
    this.counts.set(model, n);
    return `${this.gov.stepPrefix}:${model}:${n}`;
  }

  private async begin(runId: string, request: EstimateInput): Promise<void> {
    const g = this.gov;
    let end!: (r: LLMResult) => void;
    let fail!: (e: unknown) => void;
    const result = new Promise<LLMResult>((resolve, reject) => {
      end = resolve;
      fail = reject;
    });
    let reserved!: () => void;
    const sent = new Promise<void>((r) => (reserved = r));
    const settled = governedLlmCall(
      g.db ?? getDb(),
      {
        runId: g.runId,
        stepId: this.stepIdFor(request.model),
        workflow: g.workflow,
        agent: g.agent,
        tags: g.tags,
        userId: g.userId,
        apiKeyId: g.apiKeyId,
        perRunLimitNano: g.perRunLimitNano,
      },
      request,
      () => {
        // Guards passed and the budget is reserved: LangChain may send the request now.
        reserved();
        return result;
      },
      { usageOf: usageOfResult },
    );
    // A refusal rejects `settled` before `sent`: thrown here, it stops the model call.
    await Promise.race([sent, settled]);
    this.pending.set(runId, { end, fail, settled: settled.catch(() => undefined) });
  }

  override async handleChatModelStart(
    _llm: Serialized,
    messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    extraParams?: Obj,
    _tags?: string[],
    metadata?: Obj,
  ): Promise<void> {
    await this.begin(runId, estimateOf({ messages: messages[0] ?? [] }, extraParams, metadata));
  }

  override async handleLLMStart(
    _llm: Serialized,
    prompts: string[],
    runId: string,
    _parentRunId?: string,
    extraParams?: Obj,
    _tags?: string[],
    metadata?: Obj,
  ): Promise<void> {
    await this.begin(runId, estimateOf({ prompts }, extraParams, metadata));
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const p = this.pending.get(runId);
    if (!p) return;
    this.pending.delete(runId);
    p.end(output);
    // Settled (llm_calls row written) before the chain goes on.
    await p.settled;
  }

  override async handleLLMError(err: Error, runId: string): Promise<void> {
    const p = this.pending.get(runId);
    if (!p) return;
    this.pending.delete(runId);
    p.fail(err);
    await p.settled;
  }
}
