import { BudgetExceededError as GovernanceBudgetExceededError, nanoToUsdNumber } from "@/server/governance";
import type { BudgetBreach } from "@/server/governance/errors";

/** Bad options or arguments given to the SDK: the message names the field and the rule. */
export class WfloOptionsError extends Error {
  override name = "WfloOptionsError";
}

/** The SDK cannot reach what it needs (the engine, the database) or sync its workflow. */
export class WfloConnectionError extends Error {
  override name = "WfloConnectionError";
}

/**
 * The reference's `BudgetExceededError`: the run stopped because an LLM call could not be
 * afforded. It IS wflo's governance error (same facts, `instanceof` either works) plus the
 * reference's numbers: `spentUsd` what the run had spent, `budgetUsd` the limit that refused the
 * call. The call is refused BEFORE the provider sees it, so `spentUsd` may be below `budgetUsd`:
 * `spentUsd + requestedUsd` (the call's worst case) is what would have gone over.
 */
export class BudgetExceededError extends GovernanceBudgetExceededError {
  override name = "BudgetExceededError";
  /** The run's id (the SDK's `executionId`). */
  readonly executionId: string;
  /** USD the refused call would have needed at worst (`spentUsd` and `budgetUsd` come from the governance error; exact in the *Nano fields). */
  readonly requestedUsd: number;
  /** The step whose call was refused, when known. */
  readonly stepId: string | null;

  constructor(executionId: string, breach: BudgetBreach, stepId: string | null = null) {
    super(breach);
    this.executionId = executionId;
    this.requestedUsd = nanoToUsdNumber(breach.requestedNano);
    this.stepId = stepId;
  }
}

/** The run ended without an output: failed (its recorded error) or cancelled. */
export class WorkflowRunError extends Error {
  override name = "WorkflowRunError";
  readonly executionId: string;
  readonly workflow: string;
  readonly status: "failed" | "cancelled";
  /** The error the run recorded (name and message), when it has one. */
  readonly runError: { name: string; message: string } | null;

  constructor(args: {
    executionId: string;
    workflow: string;
    status: "failed" | "cancelled";
    runError: { name: string; message: string } | null;
  }) {
    const why = args.runError ? `: ${args.runError.name}: ${args.runError.message}` : "";
    super(
      `run ${args.executionId} of workflow "${args.workflow}" ${args.status === "failed" ? "failed" : "was cancelled"}${why}`,
    );
    this.executionId = args.executionId;
    this.workflow = args.workflow;
    this.status = args.status;
    this.runError = args.runError;
  }
}

/** `execute` stopped waiting (its AbortSignal fired); the run itself goes on, durably, on the engine. */
export class ExecutionDetachedError extends Error {
  override name = "ExecutionDetachedError";
  readonly executionId: string | undefined;
  constructor(executionId: string | undefined) {
    super(
      executionId
        ? `stopped waiting for run ${executionId}; it goes on on the engine: call execute(target, inputs, { executionId: "${executionId}" }) to attach again`
        : "stopped waiting before the run started",
    );
    this.executionId = executionId;
  }
}
