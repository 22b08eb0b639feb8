import { NonRetriableError, StepError, type GetFunctionInput } from "inngest";
import type { z } from "zod";
import { inngest } from "@/inngest/client";
import { eventInput } from "@/server/runs/envelope";
import { registerCompensations, rollBackRun, type Compensation } from "@/server/recovery/compensation";
import { describeZodIssues } from "@/server/errors";

type Retries = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** What the registry, the trigger form and the runs pages know about a workflow. */
export type WorkflowMeta<S extends z.ZodObject = z.ZodObject> = {
  /** The Inngest function id, without the app prefix. */
  id: string;
  name: string;
  description: string;
  /** The event that starts it; wflo's trigger sends exactly this. */
  event: string;
  /** Validates the trigger form and every incoming event; `.describe()` and defaults shape the form. */
  input: S;
  retries?: Retries;
  /** Shown beside the workflow: its LLM calls go to the simulated provider until keys are configured. */
  usesLlm?: boolean;
  /**
   * How to undo steps, by step id: each gets the step's recorded result. A completed step with
   * an entry here is recorded as compensable; a rollback runs them newest first (server/recovery/compensation.ts).
   */
  compensate?: Readonly<Record<string, Compensation>>;
  /** When the run fails for good, run the completed steps' compensations before it ends. */
  rollbackOnFailure?: boolean;
};

export type WorkflowContext<S extends z.ZodObject> = GetFunctionInput<typeof inngest> & { input: z.output<S> };

function describeIssues(err: z.ZodError): string {
  return describeZodIssues(err).message;
}

/**
 * A workflow: an Inngest function on `meta.event` whose handler receives its input parsed by
 * `meta.input`. Events can come from anywhere (the panel, the API, other functions), so the
 * function parses too; input that does not fit fails the run at once instead of retrying.
 */
/**
 * Whether this failure ends the run: a step that used up its retries, an error that forbids
 * retrying, or the handler's own throw on its last attempt. Rolling back earlier would undo
 * work a retry could still have kept.
 */
function isFinal(err: unknown, attempt: number, retries: number): boolean {
  return err instanceof StepError || err instanceof NonRetriableError || attempt >= retries;
}

export function defineWorkflow<S extends z.ZodObject, R>(
  meta: WorkflowMeta<S>,
  handler: (ctx: WorkflowContext<S>) => Promise<R>,
) {
  registerCompensations(meta.id, meta.compensate ?? {});
  const run = async (ctx: GetFunctionInput<typeof inngest>) => {
    const parsed = meta.input.safeParse(eventInput(ctx.event.data));
    if (!parsed.success) throw new NonRetriableError(`invalid input: ${describeIssues(parsed.error)}`);
    if (!meta.rollbackOnFailure) return handler({ ...ctx, input: parsed.data });
    try {
      return await handler({ ...ctx, input: parsed.data });
    } catch (err) {
      if (!isFinal(err, ctx.attempt, meta.retries ?? 3)) throw err;
      // Compensations run as steps of this same run, so they are retried, memoized and shown with it.
      const outcome = await rollBackRun(ctx.step, { runId: ctx.runId, workflowId: meta.id, reason: "automatic" });
      const cause = err instanceof Error ? err.message : String(err);
      const how =
        outcome.status === "rolled_back"
          ? "rolled back"
          : `partly rolled back: the compensation of "${outcome.failedStepId}" failed (${outcome.error.message}) and needs attention`;
      throw new NonRetriableError(`${cause} (${how})`, { cause: err });
    }
  };
  const fn = inngest.createFunction(
    {
      id: meta.id,
      name: meta.name,
      description: meta.description,
      retries: meta.retries,
      triggers: [{ event: meta.event }],
    },
    run,
  );
  // `source` fingerprints the definition and `run` lets replay execute it against recorded steps (server/recovery).
  return { ...meta, fn, source: handler.toString(), run };
}

export type Workflow = ReturnType<typeof defineWorkflow<z.ZodObject, unknown>>;
