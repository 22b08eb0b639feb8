import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { wrapLanguageModel } from "ai";
import type { MessageLike } from "@/server/governance/estimate/estimate";
import { isLanguageModel } from "./ai-sdk-detect";
import { countedStepId } from "./step-ids";
import type { TrackRequest, WfloTrack } from "@/server/llm/provider";

/**
 * `governModel(model, ctx)`: a Vercel AI SDK language model (LanguageModelV3, e.g.
 * `openai("gpt-4o")`, `anthropic(...)`) whose every call is governed by wflo, for any code that
 * takes a model: generateText / streamText / ToolLoopAgent, Mastra agents, ...
 *
 * Each `doGenerate` / `doStream` is ONE durable step `<prefix>:<modelId>:<n>` run through the
 * workflow's `wflo.trackLlmCall`: guards and budget reservation BEFORE the provider sees the
 * request (a refusal stops the run), then usage from the provider's own report (`usage.raw`,
 * the provider's wire-format usage) priced from the catalogue and settled. `n` counts this
 * run's calls in call order, so a replayed request reaches the same ids and gets finished calls
 * back memoised: never called or paid twice.
 *
 * Streams stream: the parts reach the caller as the provider sends them while the step records
 * them; the step (and the settle) ends when the stream does. A stream the caller cancels is cut
 * upstream and still settles (no usage report arrived: charged at the reserved estimate). On a
 * replay the memoised parts are streamed again.
 *
 * Call governed models at the workflow level, not inside `step.run` (steps do not nest).
 */

/** The part of the workflow context this needs (an adapter's ctx, or a workflow handler's). */
export type ModelGovernanceContext = { wflo: { trackLlmCall: WfloTrack } };

export type GovernModelOptions = {
  /** Step ids are `<prefix>:<modelId>:<n>`; default `ai-sdk`. */
  prefix?: string;
  /** Recorded on every call (budgets of scope `agent` apply). */
  agent?: string;
  tags?: string[];
};

export { isLanguageModel };

export class GovernedModelError extends Error {
  override name = "GovernedModelError";
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Text of AI SDK prompt content: text parts, tool-call inputs and tool-result outputs. */
function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(textOf).filter(Boolean).join("\n");
  if (!isObj(v)) return "";
  if (typeof v.text === "string") return v.text;
  if (v.type === "tool-call") return `${String(v.toolName)}${JSON.stringify(v.input ?? null)}`;
  if (v.type === "tool-result" && isObj(v.output))
    return typeof v.output.value === "string" ? v.output.value : JSON.stringify(v.output.value ?? null);
  return "";
}

/** What the call is estimated (worst case) as, from the AI SDK call options. */
export function trackRequestOf(
  model: LanguageModelV3,
  params: LanguageModelV3CallOptions,
  opts: GovernModelOptions,
): TrackRequest {
  const messages: MessageLike[] = params.prompt.map((m) => ({ role: m.role, content: textOf(m.content) }));
  return {
    model: model.modelId,
    provider: model.provider.split(".")[0],
    messages,
    tools: params.tools,
    maxOutputTokens: params.maxOutputTokens,
    agent: opts.agent,
    tags: opts.tags,
  };
}

/**
 * The provider's own usage report in a shape wflo's usage extractor reads: the raw wire-format
 * usage when the provider passed it on (OpenAI, Anthropic, Google all do), else the AI SDK's
 * normalised counts.
 */
export function usageReport(usage: LanguageModelV3Usage | undefined, modelId: string): unknown {
  if (!usage) return undefined;
  const raw = usage.raw;
  if (isObj(raw)) {
    if ("promptTokenCount" in raw) return { usageMetadata: raw, modelVersion: modelId };
    if ("prompt_tokens" in raw || "input_tokens" in raw)
      return { usage: raw, model: modelId, ...("cache_creation_input_tokens" in raw ? { type: "message" } : {}) };
  }
  return {
    usage: {
      inputTokens: usage.inputTokens.total ?? 0,
      outputTokens: usage.outputTokens.total ?? 0,
      inputTokenDetails: {
        cacheReadTokens: usage.inputTokens.cacheRead ?? 0,
        cacheWriteTokens: usage.inputTokens.cacheWrite ?? 0,
      },
      outputTokenDetails: { reasoningTokens: usage.outputTokens.reasoning ?? 0 },
    },
    response: { modelId },
  };
}

/** A memoised step value is JSON: the dates the AI SDK reads come back as strings. */
function reviveDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  return typeof v === "string" || typeof v === "number" ? new Date(v) : undefined;
}

function reviveGenerate(r: LanguageModelV3GenerateResult): LanguageModelV3GenerateResult {
  if (r.response?.timestamp !== undefined) r.response.timestamp = reviveDate(r.response.timestamp);
  return r;
}

function revivePart(p: LanguageModelV3StreamPart): LanguageModelV3StreamPart {
  if (p.type === "response-metadata" && p.timestamp !== undefined) return { ...p, timestamp: reviveDate(p.timestamp) };
  return p;
}

/** What a streamed call's durable step stores. */
type StreamRecord = {
  parts: LanguageModelV3StreamPart[];
  request?: LanguageModelV3StreamResult["request"];
  response?: LanguageModelV3StreamResult["response"];
};

const finishUsage = (parts: LanguageModelV3StreamPart[]) => {
  const finish = parts.find((p) => p.type === "finish");
  return finish?.type === "finish" ? finish.usage : undefined;
};

export function governModel(
  model: LanguageModelV3,
  ctx: ModelGovernanceContext,
  opts: GovernModelOptions = {},
): LanguageModelV3 {
  if (!isLanguageModel(model)) {
    throw new GovernedModelError(
      typeof model === "string"
        ? `governModel: got the model id "${String(model)}"; pass a provider model object (e.g. openai("gpt-4o")) so wflo can govern its calls`
        : "governModel: expected an AI SDK language model (specificationVersion v3, with doGenerate and doStream)",
    );
  }
  const track = ctx.wflo.trackLlmCall;
  const prefix = opts.prefix ?? "ai-sdk";

  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: "v3",
      wrapGenerate: async ({ doGenerate, params }) => {
        const stepId = countedStepId(track, `${prefix}:${model.modelId}`);
        const result = await track(stepId, trackRequestOf(model, params, opts), async () => await doGenerate(), {
          usageOf: (r) => usageReport(r.usage, r.response?.modelId ?? model.modelId),
        });
        return reviveGenerate(result);
      },
      wrapStream: async ({ doStream, params }) => {
        const stepId = countedStepId(track, `${prefix}:${model.modelId}`);
        let out!: ReadableStreamDefaultController<LanguageModelV3StreamPart>;
        let cancelled = false;
        let upstream: ReadableStreamDefaultReader<LanguageModelV3StreamPart> | undefined;
        const stream = new ReadableStream<LanguageModelV3StreamPart>({
          start: (c) => void (out = c),
          // The caller stopped reading: cut the provider's stream and wait for the step to
          // settle what was used, so `await reader.cancel()` returns with the call recorded.
          cancel: async (reason) => {
            cancelled = true;
            await upstream?.cancel(reason);
            await recorded.catch(() => undefined);
          },
        });
        let live: ((meta: Omit<StreamRecord, "parts">) => void) | undefined;
        const started = new Promise<Omit<StreamRecord, "parts">>((resolve) => (live = resolve));

        const recorded = track(
          stepId,
          trackRequestOf(model, params, opts),
          async (): Promise<StreamRecord> => {
            const r = await doStream();
            live?.({ request: r.request, response: r.response });
            const parts: LanguageModelV3StreamPart[] = [];
            upstream = r.stream.getReader();
            try {
              for (;;) {
                const { done, value } = await upstream.read();
                if (done) break;
                parts.push(value);
                if (!cancelled) out.enqueue(value);
              }
            } finally {
              upstream.releaseLock();
            }
            return { parts, request: r.request, response: r.response };
          },
          { usageOf: (r) => usageReport(finishUsage(r.parts), model.modelId) },
        );

        // Whichever comes first: the provider answered (stream live), or the step ended without
        // calling it (memoised on a replay, or refused by the budget: that error is thrown here).
        const first = await Promise.race([
          started.then((meta) => ({ live: true as const, meta })),
          recorded.then((rec) => ({ live: false as const, rec })),
        ]);
        recorded.then(
          (rec) => {
            if (!first.live) for (const p of rec.parts) out.enqueue(revivePart(p));
            if (!cancelled) out.close();
          },
          (e: unknown) => {
            if (!cancelled) out.error(e);
          },
        );
        const meta = first.live ? first.meta : { request: first.rec.request, response: first.rec.response };
        return { stream, ...meta };
      },
    },
  });
}
