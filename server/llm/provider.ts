import { NonRetriableError } from "inngest";
import { getDb } from "@/db/client";
import {
  BudgetExceededError,
  UnpricedModelError,
  nanoToUsdString,
  parseModelRef,
  type EstimateInput,
} from "@/server/governance";
import { budgetFacts, governedLlmCall } from "@/server/governance/governed";
import { GuardTrippedError } from "@/server/governance/guards/enforce";
import { anthropicProvider } from "./anthropic";
import { openaiProvider } from "./openai";
import { simulatedProvider } from "./simulated";
import { DEFAULT_MAX_TOKENS, type LlmProvider, type LlmRequest, type LlmResponse } from "./types";
import { env } from "@/server/env";

export type { LlmProvider, LlmRequest, LlmResponse } from "./types";

/**
 * The one seam between workflows and language models. `ctx.wflo.llm.complete(stepId, req)`
 * runs ONE durable step in which the call is governed end to end: runaway guards -> budget
 * reservation -> provider call -> usage -> price -> settle (server/governance). A finished
 * step is memoised by Inngest, so a retried or resumed run never calls (or pays) twice.
 */

/**
 * Which provider answers: the model's own provider when its key is configured
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY); with no model named, the first configured one; else
 * the clearly labelled simulated provider.
 */
export function resolveLlm(model?: string): { provider: LlmProvider; model: string } {
  const openaiKey = env.OPENAI_API_KEY;
  const anthropicKey = env.ANTHROPIC_API_KEY;
  const openai = () => openaiProvider(openaiKey!, env.OPENAI_BASE_URL);
  const anthropic = () => anthropicProvider(anthropicKey!, env.ANTHROPIC_BASE_URL);
  if (model?.trim()) {
    const ref = parseModelRef(model);
    if (ref.provider === "openai" && openaiKey) return { provider: openai(), model: ref.model };
    if (ref.provider === "anthropic" && anthropicKey) return { provider: anthropic(), model: ref.model };
    return { provider: simulatedProvider, model: simulatedProvider.defaultModel };
  }
  if (openaiKey) {
    const p = openai();
    return { provider: p, model: p.defaultModel };
  }
  if (anthropicKey) {
    const p = anthropic();
    return { provider: p, model: p.defaultModel };
  }
  return { provider: simulatedProvider, model: simulatedProvider.defaultModel };
}

/** The provider that answers calls naming no model (the panel shows when it is the simulator). */
export function resolveProvider(): LlmProvider {
  return resolveLlm().provider;
}

/** Who a run's calls are held against: set once per run by the middleware from wflo's event envelope. */
export type RunGovernance = { runId: string; workflowId: string; userId: string | null; perRunLimitNano?: bigint };

/**
 * Governance refusals end the run at once: retrying cannot make a budget larger or a guard
 * looser. The NonRetriableError carries the facts (JSON-safe) as its cause.
 */
export function stopOrRethrow(e: unknown): never {
  if (e instanceof BudgetExceededError)
    throw new NonRetriableError(e.message, { cause: { name: e.name, ...budgetFacts(e) } });
  if (e instanceof GuardTrippedError)
    throw new NonRetriableError(e.message, {
      cause: { name: e.name, guard: e.kind, limit: e.limit, observed: e.observed },
    });
  if (e instanceof UnpricedModelError)
    throw new NonRetriableError(e.message, { cause: { name: e.name, model: e.model, provider: e.provider } });
  throw e;
}

/** The part of Inngest's step tools an LLM call needs: one durable, memoized step per call. */
type StepRunner = { run: (id: string, fn: () => Promise<unknown>) => Promise<unknown> };

/** What a call made by the user's own code is estimated and priced as. */
export type TrackRequest = Omit<EstimateInput, "model"> & { model: string; agent?: string; tags?: string[] };

export type WfloLlm = {
  /** A governed call to the configured provider (or the simulator), as one durable step. */
  complete(stepId: string, req: LlmRequest): Promise<LlmResponse>;
};

export type WfloTrack = <R>(
  stepId: string,
  request: TrackRequest,
  call: () => Promise<R>,
  opts?: { usageOf?: (result: R) => unknown },
) => Promise<R>;

export function createLlm(step: StepRunner, run: RunGovernance): WfloLlm {
  return {
    complete: async (stepId, req) =>
      // The step's memoized value is the JSON of an LlmResponse, which is an LlmResponse again.
      (await step.run(stepId, async () => {
        const { provider, model } = resolveLlm(req.model);
        const maxTokens = req.maxTokens ?? DEFAULT_MAX_TOKENS;
        try {
          const out = await governedLlmCall(
            getDb(),
            {
              runId: run.runId,
              stepId,
              workflow: run.workflowId,
              userId: run.userId,
              perRunLimitNano: run.perRunLimitNano,
              idempotencyKey: `${run.runId}:${stepId}`,
              simulated: provider.simulated,
            },
            { model, provider: provider.name, system: req.system, prompt: req.prompt, maxOutputTokens: maxTokens },
            () => provider.call({ ...req, model, maxTokens }),
            { usageOf: (a) => a.raw },
          );
          return { ...out.result.response, costUsd: nanoToUsdString(out.costNano) } satisfies LlmResponse;
        } catch (e) {
          return stopOrRethrow(e);
        }
      })) as LlmResponse,
  };
}

/**
 * `wflo.trackLlmCall(stepId, request, () => client.call(...))`: governs a call the user's own
 * code makes with any SDK (usage is read from its response, or from `opts.usageOf`). The
 * result is the step's memoized value, i.e. its JSON form on replay.
 */
export function createTrack(step: StepRunner, run: RunGovernance): WfloTrack {
  return async <R>(
    stepId: string,
    request: TrackRequest,
    call: () => Promise<R>,
    opts?: { usageOf?: (result: R) => unknown },
  ) =>
    (await step.run(stepId, async () => {
      const { agent, tags, ...estimate } = request;
      try {
        const out = await governedLlmCall(
          getDb(),
          {
            runId: run.runId,
            stepId,
            workflow: run.workflowId,
            agent,
            tags,
            userId: run.userId,
            perRunLimitNano: run.perRunLimitNano,
            idempotencyKey: `${run.runId}:${stepId}`,
          },
          estimate,
          call,
          opts,
        );
        return out.result;
      } catch (e) {
        return stopOrRethrow(e);
      }
    })) as R;
}
