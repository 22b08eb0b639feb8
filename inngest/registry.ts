import { cleanupRecords } from "./functions/cleanup-records";
import { dataAnalyst } from "./functions/data-analyst";
import { flaky } from "./functions/flaky";
import { hello } from "./functions/hello";
import { researchAssistant } from "./functions/research-assistant";
import { runLifecycle } from "./functions/system/run-lifecycle";
import { runRollback } from "./functions/system/run-rollback";
import type { Workflow } from "./functions/define";

/**
 * Everything this app serves at /api/inngest. `workflows` are what people trigger and browse
 * (with their input schemas); system functions keep wflo's own records straight.
 */
export const workflows: readonly Workflow[] = [researchAssistant, dataAnalyst, hello, flaky, cleanupRecords];

export const systemFunctions = [runLifecycle, runRollback] as const;

export const servedFunctions = [...workflows.map((w) => w.fn), ...systemFunctions];

export function findWorkflow(id: string): Workflow | undefined {
  return workflows.find((w) => w.id === id);
}
