import type { CatalogWorkflow, WorkflowCatalog } from "@/server/workflows/workflow-catalog";
import type { Workflow } from "./functions/define";
import { createWflo } from "./middleware";
import { workflows } from "./registry";

/**
 * The WorkflowCatalog the composition roots provide (server/boot.ts, test setup, the SDK): the
 * registry's workflows as the domain sees them. `replay` adds `ctx.wflo` the way the middleware
 * does, so replaying a run stays in process and records nothing.
 */
function entry(wf: Workflow): CatalogWorkflow {
  return {
    id: wf.id,
    name: wf.name,
    description: wf.description,
    event: wf.event,
    input: wf.input,
    retries: wf.retries,
    usesLlm: wf.usesLlm,
    source: wf.source,
    replay: (base) => {
      const ctx = { ...base, wflo: createWflo(base as never, wf.fn) };
      // The SDK's context type cannot be built by hand; the handler only uses the parts given.
      return wf.run(ctx as unknown as Parameters<typeof wf.run>[0]);
    },
  };
}

const entries = workflows.map(entry);

export const registryCatalog: WorkflowCatalog = {
  list: () => entries,
  find: (id) => entries.find((w) => w.id === id),
};
