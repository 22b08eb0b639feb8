import type { z } from "zod";

/**
 * What the domain knows about the workflows this app serves, without importing them: the
 * workflows (inngest/functions) use the domain, so the domain reading them back through an
 * import would close a circle. The composition root (server/boot.ts) provides the catalog built
 * from inngest/registry.ts; tests get the same one from their setup (inngest/testing/catalog-setup.ts).
 */
export type CatalogWorkflow = {
  /** The Inngest function id, without the app prefix. */
  id: string;
  name: string;
  description: string;
  /** The event that starts it; wflo's trigger sends exactly this. */
  event: string;
  /** Validates the trigger form and every trigger. */
  input: z.ZodObject;
  retries?: number;
  /** Its LLM calls go to the simulated provider until keys are configured. */
  usesLlm?: boolean;
  /** The handler's source, fingerprinted with the config (server/recovery/fingerprint.ts). */
  source: string;
  /**
   * Runs today's code once against a context the caller builds (event, step tools, run id),
   * with `ctx.wflo` added as wflo's middleware adds it: how replay executes a past run in process
   * (server/recovery/replay.ts) without the domain importing the middleware.
   */
  replay(base: ReplayInput): Promise<unknown>;
};

/** The parts of an Inngest function context a replay supplies. */
export type ReplayInput = {
  event: { id?: string; name: string; data: Record<string, unknown> };
  events: { id?: string; name: string; data: Record<string, unknown> }[];
  runId: string;
  attempt: number;
  step: object;
  logger: Pick<Console, "info" | "warn" | "error" | "debug">;
};

export interface WorkflowCatalog {
  list(): readonly CatalogWorkflow[];
  find(id: string): CatalogWorkflow | undefined;
}

type Source = WorkflowCatalog | (() => Promise<WorkflowCatalog>);

// On globalThis: Next.js bundles instrumentation (which boots) apart from the route handlers,
// so a module-level variable set at boot would not be the one a request reads.
const g = globalThis as unknown as { __wfloWorkflowCatalog?: { source: Source; loaded?: Promise<WorkflowCatalog> } };

/**
 * Called by a composition root at start: boot with the catalog itself, a test setup or a script
 * with a loader (imported on first use, so a process that never asks never loads the workflows).
 * `ifNone`: for a library that may run inside the panel's process (the SDK), where boot's wins.
 */
export function provideWorkflowCatalog(source: Source, { ifNone = false }: { ifNone?: boolean } = {}): void {
  if (ifNone && g.__wfloWorkflowCatalog) return;
  g.__wfloWorkflowCatalog = { source };
}

/** The served workflows. Fails, saying why, in a process whose composition root provided none. */
export function workflowCatalog(): Promise<WorkflowCatalog> {
  const provided = g.__wfloWorkflowCatalog;
  if (!provided)
    return Promise.reject(
      new Error("no workflow catalog: server/boot.ts provides it at start (tests: inngest/testing/catalog-setup.ts)"),
    );
  provided.loaded ??= typeof provided.source === "function" ? provided.source() : Promise.resolve(provided.source);
  return provided.loaded;
}
