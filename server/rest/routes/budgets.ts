import { z } from "zod";
import { listBudgets } from "@/server/governance";
import { recordExternalCall, reserveExternalCall, settleExternalCall } from "@/server/governance/external-calls";
import { defineRoute } from "../route";
import { nanoString, uuidParams } from "../schemas";

export const listBudgetsRoute = defineRoute({
  method: "GET",
  path: "/budgets",
  operationId: "listBudgets",
  tag: "Budgets",
  summary: "Budgets and their current window (spent, reserved, limit; nano-dollars as strings)",
  permission: "budgets:read",
  response: { description: "Every budget" },
  handler: async ({ db }) => ({ budgets: await listBudgets(db) }),
});

const label = (field: string) =>
  z
    .string({ error: `${field} must be text` })
    .trim()
    .min(1, `${field} must not be blank`)
    .max(200, `${field} must be at most 200 characters`);

/** Whom a call is for: the budget scopes it is held against. The key itself is always one (scope api_key). */
const callScope = {
  runId: label("runId").describe("Your run or trace id; a wflo run id when the call belongs to one"),
  stepId: label("stepId"),
  workflow: label("workflow").optional(),
  agent: label("agent").optional(),
  tags: z
    .array(label("tags"), { error: "tags must be a list of strings" })
    .max(32, "tags may hold at most 32 tags")
    .default([]),
};

const tokens = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .int(`${field} must be a whole number`)
    .min(0, `${field} must not be negative`);
const usageSchema = z.object(
  {
    inputTokens: tokens("usage.inputTokens"),
    outputTokens: tokens("usage.outputTokens"),
    cachedInputTokens: tokens("usage.cachedInputTokens").default(0),
    cacheWriteTokens: tokens("usage.cacheWriteTokens").default(0),
    reasoningTokens: tokens("usage.reasoningTokens").default(0),
  },
  { error: "usage must be an object: { inputTokens, outputTokens, ... }" },
);

const callFacts = {
  model: label("model").describe('As the provider names it ("gpt-4o") or "provider/model"'),
  provider: label("provider").optional(),
  usage: usageSchema,
  latencyMs: tokens("latencyMs").optional(),
  status: z.enum(["ok", "error"], { error: "status must be ok or error" }).default("ok"),
  error: z.string().max(2000, "error must be at most 2000 characters").optional(),
};

const callResult = z.object({
  callId: z.number().nullable(),
  costNano: z.string(),
  priceSource: z.string(),
  outcome: z.string(),
});

export const recordLlmCallRoute = defineRoute({
  method: "POST",
  path: "/llm-calls",
  operationId: "recordLlmCall",
  tag: "Budgets",
  summary: "Record an LLM call made outside wflo",
  description:
    "Prices the call from its usage, holds it against every budget that applies (global, workflow, agent, tags, this API key, the run) and records it, in one step. A call that would exceed a budget is refused with 402 and not recorded: to be refused BEFORE paying a provider, reserve first (POST /budget/reservations) and settle after.",
  permission: "usage:record",
  body: z.object({ ...callScope, ...callFacts }),
  status: 201,
  response: { description: "The recorded call", schema: callResult },
  errors: { 402: "A budget cannot take this call", 422: "The model has no price and a budget forbids unpriced models" },
  // The service checks the key's workflow scope (403 outside it).
  handler: async ({ db, actor, body }) => {
    const r = await recordExternalCall(db, actor, body);
    return { ...r, costNano: r.costNano.toString() };
  },
});

export const reserveRoute = defineRoute({
  method: "POST",
  path: "/budget/reservations",
  operationId: "reserveBudget",
  tag: "Budgets",
  summary: "Reserve budget before an external LLM call",
  description:
    "Holds `estimateNano` (the call's worst case) on every budget that applies, atomically, or refuses with 402 naming the tightest budget. Settle it after the call; an unsettled reservation is given back after `ttlMs` (default 15 min).",
  permission: "usage:record",
  body: z.object({
    ...callScope,
    estimateNano: nanoString("estimateNano"),
    model: label("model").optional().describe("For the unpriced-model check"),
    provider: label("provider").optional(),
    idempotencyKey: label("idempotencyKey")
      .optional()
      .describe("A retry with the same key gets the same reservation back"),
    ttlMs: z
      .number()
      .int("ttlMs must be a whole number")
      .min(1_000, "ttlMs must be at least 1000")
      .max(86_400_000, "ttlMs must be at most a day")
      .optional(),
  }),
  status: 201,
  response: {
    description: "The reservation",
    schema: z.object({ reservationId: z.string(), amountNano: z.string(), status: z.string(), reused: z.boolean() }),
  },
  errors: {
    402: "A budget cannot afford the estimate; nothing was held",
    422: "The model has no price and a budget forbids unpriced models",
  },
  handler: async ({ db, actor, body }) => {
    const r = await reserveExternalCall(db, actor, body);
    return { reservationId: r.id, amountNano: r.amountNano.toString(), status: r.status, reused: r.reused };
  },
});

export const settleRoute = defineRoute({
  method: "POST",
  path: "/budget/reservations/{id}/settle",
  operationId: "settleReservation",
  tag: "Budgets",
  summary: "Settle a reservation with the call's usage",
  description:
    "Prices the usage, records the call, moves its cost from reserved to spent and gives back the rest. Idempotent: settling again returns `already`.",
  permission: "usage:record",
  params: uuidParams("a reservation id"),
  body: z.object(callFacts),
  response: { description: "The recorded call", schema: callResult },
  errors: { 404: "No reservation with this id" },
  handler: async ({ db, actor, params, body }) => {
    const s = await settleExternalCall(db, actor, params.id, body);
    return { ...s, costNano: s.costNano.toString() };
  },
});
