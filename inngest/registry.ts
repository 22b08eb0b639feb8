import { cleanupRecords } from "./functions/cleanup-records";
import { dataAnalyst } from "./functions/data-analyst";
import { flaky } from "./functions/flaky";
import { hello } from "./functions/hello";
import { researchAssistant } from "./functions/research-assistant";
import { dispatchAlertsCron } from "./functions/system/dispatch-alerts";
import { expireApprovalsCron } from "./functions/system/expire-approvals";
import { expireReservationsCron } from "./functions/system/expire-reservations";
import { pruneSystemRunsCron } from "./functions/system/prune-system-runs";
import { runLifecycle } from "./functions/system/run-lifecycle";
import { runRollback } from "./functions/system/run-rollback";
import type { Workflow } from "./functions/define";

/**
 * Everything this app serves at /api/inngest. `workflows` are what people trigger and browse
 * (with their input schemas); system functions keep wflo's own records straight.
 */
export const workflows: readonly Workflow[] = [researchAssistant, dataAnalyst, hello, flaky, cleanupRecords];

/** Periodic work (expiry, delivery) runs here as cron system runs, never inside a read. */
export const systemFunctions = [
  runLifecycle,
  runRollback,
  expireApprovalsCron,
  dispatchAlertsCron,
  expireReservationsCron,
  pruneSystemRunsCron,
] as const;

export const servedFunctions = [...workflows.map((w) => w.fn), ...systemFunctions];

export function findWorkflow(id: string): Workflow | undefined {
  return workflows.find((w) => w.id === id);
}
