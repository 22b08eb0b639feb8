import { z } from "zod";
import { RUN_STATUSES } from "@/db/schema";
import { usdToNano } from "@/server/governance/money";
import { WFLO_ENVELOPE_KEY } from "./envelope";
import { reservedEventName } from "./reserved-names";

/** THE run id of every procedure that names one (runs, recovery, governance, sandbox). */
export const runId = z
  .string({ error: "runId is required" })
  .trim()
  .min(1, "runId must not be blank")
  .max(200, "runId must be at most 200 characters");

export const runStatusSchema = z.enum(RUN_STATUSES, { error: `status must be one of: ${RUN_STATUSES.join(", ")}` });

export const listRunsInput = z
  .object({
    workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
    status: runStatusSchema.optional(),
    /** Matches the triggering user's email, case-insensitively, anywhere in it. */
    triggeredBy: z.string().trim().max(254, "triggeredBy must be at most 254 characters").optional(),
    from: z.date({ error: "from must be a date" }).optional(),
    to: z.date({ error: "to must be a date" }).optional(),
    limit: z
      .number()
      .int("limit must be a whole number")
      .min(1, "limit must be at least 1")
      .max(100, "limit must be at most 100")
      .default(25),
    /** Opaque: the last row of the previous page. */
    cursor: z.string().max(400, "cursor is malformed").optional(),
    /** Also wflo's own scheduled system runs (expiry, alert delivery, pruning), hidden by default. */
    system: z.boolean({ error: "system must be true or false" }).default(false),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "from must not be after to", path: ["from"] });

export const runIdInput = z.object({ runId });
export const byEventInput = z.object({
  eventId: z
    .string({ error: "eventId is required" })
    .trim()
    .min(1, "eventId is required")
    .max(200, "eventId must be at most 200 characters"),
});

export const triggerInput = z.object({
  /** Gate every LLM step of the run behind an approval (like `wflo run --require-approval`). */
  requireApproval: z.boolean({ error: "requireApproval must be true or false" }).optional(),
  workflowId: z
    .string({ error: "workflowId is required" })
    .trim()
    .min(1, "workflowId is required")
    .max(200, "workflowId must be at most 200 characters"),
  /** Checked against the workflow's own schema in the service, so its errors name the workflow's fields. */
  input: z.record(z.string(), z.unknown(), { error: "input must be an object" }).default({}),
  /** The run's own budget in USD (like `wflo run --budget 10`): every LLM call of the run is held to it. */
  budgetUsd: z
    .union([z.number(), z.string()], { error: "budgetUsd must be a number of US dollars" })
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || (typeof v === "string" && v.trim() === "")) return undefined;
      try {
        const nano = usdToNano(v, "budgetUsd");
        if (nano === 0n)
          ctx.addIssue({ code: "custom", message: "budgetUsd must be more than 0 (leave it empty for no run budget)" });
        else if (nano > 1_000_000n * 1_000_000_000n)
          ctx.addIssue({ code: "custom", message: "budgetUsd must be at most 1000000" });
        return nano;
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message.replace("budgetUsd: ", "budgetUsd ") });
        return z.NEVER;
      }
    }),
});

/** Event data wflo forwards to a waiting run; Inngest servers take far larger events, a person's feedback needs less. */
export const MAX_SENT_EVENT_BYTES = 64 * 1024;

export const sendEventInput = z.object({
  /** The run whose wait the event is for: the event must be one that run is waiting for. */
  runId,
  name: z
    .string({ error: "name is required" })
    .trim()
    .min(1, "name is required")
    .max(200, "name must be at most 200 characters")
    .superRefine((n, ctx) => {
      const reserved = reservedEventName(n);
      if (reserved) ctx.addIssue({ code: "custom", message: reserved });
    }),
  data: z
    .record(z.string(), z.unknown(), { error: "data must be a JSON object" })
    .default({})
    // wflo writes who sent the event there itself; a sender must not be able to claim to be someone else.
    .refine((d) => !(WFLO_ENVELOPE_KEY in d), {
      message: `data must not contain the key ${WFLO_ENVELOPE_KEY} (wflo sets it)`,
    })
    .superRefine((d, ctx) => {
      const bytes = jsonBytes(d);
      if (bytes === null)
        ctx.addIssue({ code: "custom", message: "data must be plain JSON (no BigInt, cycles or functions)" });
      else if (bytes > MAX_SENT_EVENT_BYTES)
        ctx.addIssue({
          code: "custom",
          message: `data must be at most ${MAX_SENT_EVENT_BYTES / 1024} KiB as JSON (it is ${Math.ceil(bytes / 1024)} KiB)`,
        });
    }),
});

function jsonBytes(v: unknown): number | null {
  try {
    return Buffer.byteLength(JSON.stringify(v));
  } catch {
    return null;
  }
}
