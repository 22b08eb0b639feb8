import { UnsupportedTargetError, type AdapterContext, type FrameworkAdapter } from "../framework";
import { aiSdkAdapter } from "./ai-sdk";
import { functionAdapter } from "./function";
import { langGraph } from "./langgraph";
import { openAIAgents } from "./openai-agents";
import { agentKit } from "./agentkit";
import { mastraAdapter } from "./mastra";

/**
 * Every framework adapter, most specific first: the first whose `detect` accepts the target runs
 * it. A plain async function comes last because several frameworks' objects are callable.
 * Each adapter lives in its own module in this folder (`defineAdapter(...)`) and adds ONE line here.
 */
export const frameworkAdapters: readonly FrameworkAdapter<unknown>[] = [
  langGraph,
  openAIAgents,
  agentKit,
  mastraAdapter,
  aiSdkAdapter,
  // Keep last: any callable matches it.
  functionAdapter,
];

/** What kind of thing was given, for the error when no adapter takes it. */
function describe(target: unknown): string {
  if (target === null) return "null";
  if (typeof target === "function") return `a function${target.name ? ` (${target.name})` : ""}`;
  if (typeof target === "object") {
    const ctor = (target as { constructor?: { name?: string } }).constructor?.name;
    return ctor && ctor !== "Object" ? `an object of class ${ctor}` : "a plain object";
  }
  return `a ${typeof target}`;
}

export function adapterFor(target: unknown): FrameworkAdapter<unknown> {
  const found = frameworkAdapters.find((a) => a.detect(target));
  if (!found) {
    const known = frameworkAdapters.map((a) => a.label).join(", ") || "none registered";
    throw new UnsupportedTargetError(`wflo cannot run ${describe(target)}: expected one of ${known}`);
  }
  return found;
}

/** Runs any supported agent object under the workflow context. */
export function runTarget(target: unknown, input: unknown, ctx: AdapterContext): Promise<unknown> {
  return adapterFor(target).run(target, input, ctx);
}
