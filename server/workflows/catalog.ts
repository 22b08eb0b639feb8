import { inngestMode } from "@/server/events/connection";
import { resolveProvider } from "@/server/llm/provider";
import { workflowCatalog } from "./workflow-catalog";

/** What pages need to know about the served workflows, without reaching into inngest/ themselves. */
export async function workflowOptions(): Promise<{ id: string; name: string }[]> {
  return (await workflowCatalog()).list().map((w) => ({ id: w.id, name: w.name }));
}

export async function workflowExists(id: string): Promise<boolean> {
  return Boolean((await workflowCatalog()).find(id));
}

/** True while LLM calls go to the simulated demo provider. */
export function llmIsSimulated(): boolean {
  return resolveProvider().name === "simulated";
}

export function executorLabel(): string {
  const mode = inngestMode();
  return mode === "embedded"
    ? "the embedded engine"
    : mode === "dev-server"
      ? "an Inngest dev server"
      : "Inngest Cloud or a self-hosted Inngest server";
}
