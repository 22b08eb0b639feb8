import { z } from "zod";
import { RUN_STATUSES } from "@/db/schema";

const runId = z.string({ error: "runId is required" }).trim().min(1, "runId is required").max(200, "runId must be at most 200 characters");

export const runStatusSchema = z.enum(RUN_STATUSES, { error: `status must be one of: ${RUN_STATUSES.join(", ")}` });

export const listRunsInput = z
  .object({
    workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
    status: runStatusSchema.optional(),
    /** Matches the triggering user's email, case-insensitively, anywhere in it. */
    triggeredBy: z.string().trim().max(254, "triggeredBy must be at most 254 characters").optional(),
    from: z.date({ error: "from must be a date" }).optional(),
    to: z.date({ error: "to must be a date" }).optional(),
    limit: z.number().int("limit must be a whole number").min(1, "limit must be at least 1").max(100, "limit must be at most 100").default(25),
    /** Opaque: the last row of the previous page. */
    cursor: z.string().max(400, "cursor is malformed").optional(),
  })
  .refine((v) => !v.from || !v.to || v.from <= v.to, { message: "from must not be after to", path: ["from"] });

export const runIdInput = z.object({ runId });
export const byEventInput = z.object({ eventId: z.string({ error: "eventId is required" }).trim().min(1, "eventId is required").max(200, "eventId must be at most 200 characters") });

export const triggerInput = z.object({
  workflowId: z.string({ error: "workflowId is required" }).trim().min(1, "workflowId is required").max(200, "workflowId must be at most 200 characters"),
  /** Checked against the workflow's own schema in the service, so its errors name the workflow's fields. */
  input: z.record(z.string(), z.unknown(), { error: "input must be an object" }).default({}),
});
