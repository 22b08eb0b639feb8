import { NonRetriableError } from "inngest";
import type { Database } from "@/db/client";
import { checkStepLimit, GuardTrippedError } from "./enforce";

export type StepAt = { runId: string; workflowId: string; stepId: string; hashedId: string };

/**
 * The max-steps guard as wflo's middleware applies it before every step handler runs. A trip
 * is a NonRetriableError naming the guard (retrying cannot make the run shorter), carrying the
 * same JSON-safe facts as an LLM call's guard stop; the stop is audited once per run.
 */
export async function guardStep(db: Database, at: StepAt): Promise<void> {
  try {
    await checkStepLimit(db, at);
  } catch (e) {
    if (e instanceof GuardTrippedError)
      throw new NonRetriableError(e.message, {
        cause: { name: e.name, guard: e.kind, limit: e.limit, observed: e.observed },
      });
    throw e;
  }
}
