import { withCurrentRun } from "../current-run";
import { defineAdapter, type AdapterContext } from "../framework";

/** What a plain async function target receives: the run's `ctx.wflo` (llm, trackLlmCall, wrap, checkpoint, approval, sandbox). */
export type WfloTools = AdapterContext["wflo"];

/**
 * A plain (async) function as a workflow: `async (inputs, wflo) => result`. Its own durable
 * steps are whatever it does through `wflo` (and the SDK's `checkpoint` / `trackLlmCall`
 * wrappers, which find the run through `withCurrentRun`); code between them re-executes on
 * every engine request, as in any Inngest function.
 */
// `any` input: a user function declares its own input type, and parameters are contravariant.
// biome-ignore lint/suspicious/noExplicitAny: a public SDK type; `unknown` or `never` would reject or blank users' own input types.
export type WfloFunction<I = any, O = unknown> = (inputs: I, wflo: WfloTools) => O | Promise<O>;

export const functionAdapter = defineAdapter<WfloFunction>({
  id: "function",
  label: "an async function (inputs, wflo) => result",
  // Last in the registry: several frameworks' objects are callable too, and they match first.
  detect: (target): target is WfloFunction => typeof target === "function",
  run: (fn, input, ctx) => withCurrentRun(ctx, async () => await fn(input, ctx.wflo)),
});
