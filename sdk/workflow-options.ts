/** WfloWorkflow's options and inputs, checked before anything starts (a WfloOptionsError names the field). */

import type { WorkflowCatalog } from "@/server/workflows/workflow-catalog";
import { usdToNano } from "@/server/governance";
import { WFLO_ENVELOPE_KEY } from "@/server/runs/envelope";
import { WfloOptionsError } from "./errors";
import type { Retries } from "./host";

export type WfloWorkflowOptions = {
  /** The workflow's name: what the control panel lists its runs under. 1-64 letters, digits, - and _. */
  name: string;
  /** The budget of each run, in US dollars: every LLM call of the run must fit in it, checked before the call. */
  budgetUsd?: number;
  /**
   * Retries of the run after a failure (Inngest's, 0-20; default 3, i.e. 4 attempts with
   * Inngest's backoff of 15 s, 30 s, 60 s...). They are also the window in which a run whose
   * calling process died can be resumed: a dispatch to a dead process counts as a failed attempt.
   */
  retries?: number;
  /** How often `execute` looks for the run's end (ms, default 100). */
  pollIntervalMs?: number;
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null);

/** `panel`: the control panel's own workflows, whose names an SDK workflow may not take. */
export function validated(
  opts: WfloWorkflowOptions,
  panel: Pick<WorkflowCatalog, "find">,
): {
  name: string;
  budgetNano: bigint | undefined;
  retries: Retries;
  pollIntervalMs: number;
} {
  if (!isPlainObject(opts))
    throw new WfloOptionsError('WfloWorkflow: options must be an object such as { name: "my-workflow", budgetUsd: 2 }');
  const { name, budgetUsd, retries = 3, pollIntervalMs = 100 } = opts;
  if (typeof name !== "string" || !name.trim())
    throw new WfloOptionsError('name: a workflow needs a name, such as "my-workflow"');
  if (!NAME.test(name))
    throw new WfloOptionsError(`name: "${name}" must be 1-64 letters, digits, - or _, starting with a letter or digit`);
  if (panel.find(name))
    throw new WfloOptionsError(
      `name: "${name}" is one of the control panel's own workflows; give the SDK workflow another name`,
    );
  let budgetNano: bigint | undefined;
  if (budgetUsd !== undefined) {
    if (typeof budgetUsd !== "number" || !Number.isFinite(budgetUsd) || budgetUsd <= 0) {
      throw new WfloOptionsError(
        `budgetUsd: must be a positive number of US dollars (got ${JSON.stringify(budgetUsd) ?? String(budgetUsd)})`,
      );
    }
    budgetNano = usdToNano(budgetUsd, "budgetUsd");
    if (budgetNano === 0n) throw new WfloOptionsError(`budgetUsd: ${budgetUsd} is below a nano-dollar`);
  }
  if (!Number.isInteger(retries) || retries < 0 || retries > 20)
    throw new WfloOptionsError(`retries: must be a whole number from 0 to 20 (got ${String(retries)})`);
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 10)
    throw new WfloOptionsError(`pollIntervalMs: must be at least 10 (got ${String(pollIntervalMs)})`);
  return { name, budgetNano, retries: retries as Retries, pollIntervalMs };
}

export function checkedInputs(inputs: unknown): Record<string, unknown> {
  if (inputs === undefined) return {};
  if (!isPlainObject(inputs))
    throw new WfloOptionsError('inputs: must be a plain object of JSON values, such as { topic: "MVCC" }');
  if (WFLO_ENVELOPE_KEY in inputs)
    throw new WfloOptionsError(`inputs: the key "${WFLO_ENVELOPE_KEY}" is reserved for wflo`);
  try {
    JSON.stringify(inputs);
  } catch (e) {
    throw new WfloOptionsError(`inputs: must be JSON-serialisable (${e instanceof Error ? e.message : String(e)})`);
  }
  return inputs;
}
