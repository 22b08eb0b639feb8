import { inngestMode } from "@/server/events/connection";
import { resolveProvider } from "@/server/llm/provider";
import { findWorkflow, workflows } from "@/inngest/registry";

/** What pages need to know about the served workflows, without reaching into inngest/ themselves. */
export function workflowOptions(): { id: string; name: string }[] {
  return workflows.map((w) => ({ id: w.id, name: w.name }));
}

export function workflowExists(id: string): boolean {
  return Boolean(findWorkflow(id));
}

/** True while LLM calls go to the simulated demo provider. */
export function llmIsSimulated(): boolean {
  return resolveProvider().name === "simulated";
}

export function executorLabel(): string {
  const mode = inngestMode();
  return mode === "embedded" ? "the embedded engine" : mode === "dev-server" ? "an Inngest dev server" : "Inngest Cloud or a self-hosted Inngest server";
}
