import type { GetFunctionInput } from "inngest";
import type { inngest } from "@/inngest/client";

/**
 * A framework adapter runs an agent object someone already has (a LangGraph graph, an AI SDK
 * agent, an OpenAI Agents SDK agent, ...) INSIDE a running wflo workflow, so its LLM calls are
 * budgeted and recorded, and its progress is checkpointed, without changing the agent's code.
 *
 * `detect` decides from the object alone (duck typing, never `instanceof` across package copies,
 * and without importing the framework: only the adapter that matches loads its package).
 */
export type AdapterContext = GetFunctionInput<typeof inngest>;

export type FrameworkAdapter<T = unknown> = {
  /** Stable id, recorded on the run ("langgraph", "ai-sdk", "openai-agents", "mastra", "agentkit", "function"). */
  id: string;
  /** Human name for errors and the README. */
  label: string;
  detect: (target: unknown) => target is T;
  /** Runs the target with `input` under the workflow context; returns its (JSON-serialisable) result. */
  run: (target: T, input: unknown, ctx: AdapterContext) => Promise<unknown>;
};

export class UnsupportedTargetError extends Error {
  override name = "UnsupportedTargetError";
}

/**
 * Erases an adapter's target type for the registry; `run` is only ever reached for a target its
 * own `detect` accepted, which this re-checks so a misuse fails loudly instead of mis-running.
 */
export function defineAdapter<T>(a: FrameworkAdapter<T>): FrameworkAdapter<unknown> {
  return {
    id: a.id,
    label: a.label,
    detect: (t: unknown): t is unknown => a.detect(t),
    run: (t, input, ctx) => {
      if (!a.detect(t))
        throw new UnsupportedTargetError(`the ${a.label} adapter was given something that is not ${a.label}`);
      return a.run(t, input, ctx);
    },
  };
}
