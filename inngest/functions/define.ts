import { NonRetriableError, type GetFunctionInput } from "inngest";
import type { z } from "zod";
import { inngest } from "@/inngest/client";
import { splitEventData } from "@/server/runs/envelope";

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
};

export type WorkflowContext<S extends z.ZodObject> = GetFunctionInput<typeof inngest> & { input: z.output<S> };

function describeIssues(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/**
 * A workflow: an Inngest function on `meta.event` whose handler receives its input parsed by
 * `meta.input`. Events can come from anywhere (the panel, the API, other functions), so the
 * function parses too; input that does not fit fails the run at once instead of retrying.
 */
export function defineWorkflow<S extends z.ZodObject, R>(meta: WorkflowMeta<S>, handler: (ctx: WorkflowContext<S>) => Promise<R>) {
  const run = async (ctx: GetFunctionInput<typeof inngest>) => {
    const parsed = meta.input.safeParse(splitEventData(ctx.event.data).input);
    if (!parsed.success) throw new NonRetriableError(`invalid input: ${describeIssues(parsed.error)}`);
    return handler({ ...ctx, input: parsed.data });
  };
  const fn = inngest.createFunction({ id: meta.id, name: meta.name, description: meta.description, retries: meta.retries, triggers: [{ event: meta.event }] }, run);
  // `source` fingerprints the definition and `run` lets replay execute it against recorded steps (server/recovery).
  return { ...meta, fn, source: handler.toString(), run };
}

export type Workflow = ReturnType<typeof defineWorkflow<z.ZodObject, unknown>>;
