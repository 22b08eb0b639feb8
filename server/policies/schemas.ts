import { z } from "zod";
import { RISK_LEVELS, TIMEOUT_DEFAULTS } from "@/db/schema/approvals";
import { ROLES } from "@/db/schema/auth";
import { capJson } from "@/server/security/json-size";

/** Durations as Inngest writes them: "30s", "15m", "2h", "1d". */
export const durationSchema = (field: string) =>
  z
    .string({ error: `${field} must be a duration like 30s, 15m, 2h or 1d` })
    .trim()
    .regex(/^\d{1,6}[smhd]$/, `${field} must be a duration like 30s, 15m, 2h or 1d`);

export function durationMs(d: string): number {
  const n = Number(d.slice(0, -1));
  const unit = d.slice(-1);
  return n * (unit === "s" ? 1_000 : unit === "m" ? 60_000 : unit === "h" ? 3_600_000 : 86_400_000);
}

export const roleField = (field: string) => z.enum(ROLES, { error: `${field} must be one of: ${ROLES.join(", ")}` });
export const riskSchema = z.enum(RISK_LEVELS, { error: `risk must be one of: ${RISK_LEVELS.join(", ")}` });

export const requireApprovalOutcome = z.object({
  type: z.literal("require_approval"),
  role: roleField("outcome.role").default("approver"),
  approvalsNeeded: z
    .number({ error: "outcome.approvalsNeeded must be a number" })
    .int("outcome.approvalsNeeded must be a whole number")
    .min(1, "outcome.approvalsNeeded must be at least 1")
    .max(10, "outcome.approvalsNeeded must be at most 10")
    .default(1),
  timeout: durationSchema("outcome.timeout").optional(),
  escalateAfter: durationSchema("outcome.escalateAfter").optional(),
  escalateTo: roleField("outcome.escalateTo").optional(),
  onTimeout: z
    .enum(TIMEOUT_DEFAULTS, { error: `outcome.onTimeout must be one of: ${TIMEOUT_DEFAULTS.join(", ")}` })
    .optional(),
  /** The person who triggered the run may not approve (configurable per rule). */
  allowSelfApproval: z.boolean({ error: "outcome.allowSelfApproval must be true or false" }).optional(),
  requireComment: z.boolean({ error: "outcome.requireComment must be true or false" }).optional(),
});

export const policyOutcome = z.discriminatedUnion(
  "type",
  [
    z.object({ type: z.literal("auto_approve") }),
    z.object({
      type: z.literal("deny"),
      reason: z.string().trim().max(500, "outcome.reason must be at most 500 characters").default(""),
    }),
    requireApprovalOutcome,
  ],
  { error: "outcome.type must be one of: auto_approve, require_approval, deny" },
);
export type PolicyOutcome = z.infer<typeof policyOutcome>;

export const policyRule = z.object({
  id: z
    .string()
    .trim()
    .min(1, "id must not be empty")
    .max(64, "id must be at most 64 characters")
    .regex(/^[a-z0-9][a-z0-9-_]*$/, "id may hold lowercase letters, digits, - and _"),
  name: z
    .string({ error: "name must be text" })
    .trim()
    .min(1, "name must not be empty")
    .max(120, "name must be at most 120 characters"),
  /** A CEL expression over the request (see POLICY_VARIABLES); must be true for the rule to apply. */
  condition: z
    .string({ error: "condition must be text" })
    .trim()
    .min(1, "condition must not be empty (use true to match everything)")
    .max(2000, "condition must be at most 2000 characters"),
  outcome: policyOutcome,
});
export type PolicyRule = z.infer<typeof policyRule>;

export const savePolicyInput = z.object({
  rules: z.array(policyRule, { error: "rules must be a list" }).max(100, "rules may hold at most 100 rules"),
  note: z.string().trim().max(500, "note must be at most 500 characters").default(""),
});

/** What a rule's condition sees. Field names are the CEL variable names. */
const requestText = (field: string) =>
  z
    .string({ error: `${field} must be text` })
    .max(500, `${field} must be at most 500 characters`)
    .default("");
export const policyRequest = z.object({
  workflow: requestText("workflow"),
  gate: requestText("gate"),
  action: requestText("action"),
  tool: requestText("tool"),
  risk: riskSchema.default("medium"),
  costUsd: z.number({ error: "costUsd must be a number" }).default(0),
  amountUsd: z.number({ error: "amountUsd must be a number" }).default(0),
  /** Capped like an approval's payload: conditions see the same data a gate would. */
  payload: z
    .record(z.string(), z.unknown(), { error: "payload must be an object" })
    .superRefine(capJson("payload"))
    .default({}),
  role: requestText("role"),
  /** 0-23, UTC, when the request is made. */
  hour: z.number().int().min(0).max(23).default(12),
  /** 0 = Sunday. */
  weekday: z.number().int().min(0).max(6).default(1),
});
export type PolicyRequest = z.infer<typeof policyRequest>;

export const POLICY_VARIABLES: Record<keyof PolicyRequest, string> = {
  workflow: "workflow id",
  gate: "the gate's name (wflo.approval first argument)",
  action: "what the step will do",
  tool: "the tool a gated step calls, or empty",
  risk: "low | medium | high | critical",
  costUsd: "estimated cost in USD",
  amountUsd: "an amount the step moves, in USD",
  payload: "the step's payload (payload.field)",
  role: "the role of the user who triggered the run, or empty",
  hour: "hour of day, UTC (0-23)",
  weekday: "day of week, UTC (0 = Sunday)",
};

export const testPolicyInput = z.object({
  rules: z.array(policyRule, { error: "rules must be a list" }).max(100, "rules may hold at most 100 rules").optional(),
  request: policyRequest,
});
