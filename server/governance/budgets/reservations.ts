import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { sqlInt, sqlRow } from "@/db/rows";
import type { BudgetPeriod, ReservationStatus } from "@/db/schema";
import { BudgetExceededError, UnpricedModelError, type BudgetScopeName } from "@/server/governance/errors";
import { DomainError, fieldError } from "@/server/errors";
import type { FlatRates } from "@/server/governance/pricing/rates";
import { flatRatesJson } from "@/server/governance/pricing/rates";
import { checkUsage, type Usage } from "@/server/governance/usage/types";
import { type ReserveItem, reserveDetail, type settleRow, submitReserve, submitSettle } from "./ledger-batch";

// ------------------------------------------------------------------ inputs

const MAX_NANO = 10n ** 17n; // $100M: beyond any budget; keeps spent * 100 inside bigint in SQL.

/** Nano-dollars as bigint, integer number or digit string; never negative. */
export function nanoSchema(field: string) {
  return z
    .union(
      [
        z.bigint(),
        z.number().int(`${field} must be a whole number of nano-dollars`),
        z.string().regex(/^-?\d+$/, `${field} must be a whole number of nano-dollars`),
      ],
      {
        error: `${field} must be a whole number of nano-dollars`,
      },
    )
    .transform((v) => BigInt(v))
    .refine((v) => v >= 0n, `${field} must not be negative`)
    .refine((v) => v <= MAX_NANO, `${field} is beyond any budget ($100,000,000)`);
}

const label = (field: string) =>
  z.string().trim().min(1, `${field} must not be blank`).max(200, `${field} must be at most 200 characters`);
const optionalLabel = (field: string) =>
  label(field)
    .nullish()
    .transform((v) => v ?? null);

export const reserveInput = z.object({
  runId: label("runId"),
  stepId: label("stepId"),
  workflow: optionalLabel("workflow"),
  agent: optionalLabel("agent"),
  userId: optionalLabel("userId"),
  apiKeyId: optionalLabel("apiKeyId"),
  tags: z
    .array(label("tags"), { error: "tags must be a list of strings" })
    .max(32, "tags may hold at most 32 tags")
    .default([]),
  /** A run's own limit (wflo run --budget): set by the run's first call that carries it. */
  perRunLimitNano: nanoSchema("perRunLimitNano").optional(),
  /** Worst case of the call (see estimateCallCost). */
  estimateNano: nanoSchema("estimateNano"),
  /** True when the model has no price: refused under any budget unless unpriced models are allowed. */
  unpriced: z.boolean().default(false),
  /** For error messages about unpriced models. */
  model: z.string().optional(),
  provider: z.string().nullish(),
  /** A retried durable step passes the same key and gets its first reservation back. */
  idempotencyKey: label("idempotencyKey").optional(),
  /** After this the reservation counts as crashed and its money is given back. Default 15 min. */
  ttlMs: z
    .number()
    .int()
    .min(1, "ttlMs must be positive")
    .max(86_400_000, "ttlMs must be at most a day")
    .default(15 * 60_000),
});
export type ReserveInput = z.input<typeof reserveInput>;

export type Reservation = {
  id: string;
  runId: string;
  stepId: string;
  amountNano: bigint;
  /** 'active' for a new reservation; a reused one (same idempotency key) may be settled already. */
  status: ReservationStatus;
  reused: boolean;
};

export const callRecordInput = z.object({
  provider: label("provider"),
  model: label("model"),
  usage: z.object({
    inputTokens: z.number(),
    outputTokens: z.number(),
    cachedInputTokens: z.number().default(0),
    cacheWriteTokens: z.number().default(0),
    reasoningTokens: z.number().default(0),
  }),
  priceVersionId: z.number().int().nullish(),
  priceSource: z.enum(["override", "catalogue", "builtin", "unpriced"]),
  rates: z.custom<FlatRates>().nullish(),
  latencyMs: z.number().int().min(0, "latencyMs must not be negative").nullish(),
  status: z.enum(["ok", "error"]).default("ok"),
  simulated: z.boolean().default(false),
  error: z.string().max(2000).nullish(),
});
export type CallRecord = z.input<typeof callRecordInput>;

export type SettleResult = {
  /** llm_calls.id, null for a release. */
  callId: number | null;
  /** settled | released | late (reservation had expired: spend still counted) | already (idempotent repeat). */
  outcome: "settled" | "released" | "late" | "already";
};

// ------------------------------------------------------------------ expiry

/**
 * Gives back the money held by reservations past their expiry (their worker crashed or hung).
 * Returns how many expired. The system cron run inngest/functions/system/expire-reservations.ts
 * calls it every minute; reserve calls it once before refusing a call.
 */
export async function expireReservations(db: Database, limit = 1000): Promise<number> {
  const row = await sqlRow(db, sql`select wflo_expire_reservations(${limit}) as n`, z.object({ n: sqlInt }));
  return row?.n ?? 0;
}

// ------------------------------------------------------------------ API

function breachOf(d: Record<string, string | null>, requested: bigint): BudgetExceededError {
  return new BudgetExceededError({
    scope: (d.scope ?? "global") as BudgetScopeName,
    scopeValue: d.scopeValue ?? "",
    period: (d.period ?? "run") as BudgetPeriod,
    budgetId: d.budgetId ?? null,
    budgetName: d.budgetName ?? null,
    limitNano: BigInt(d.limitNano ?? "0"),
    spentNano: BigInt(d.spentNano ?? "0"),
    reservedNano: BigInt(d.reservedNano ?? "0"),
    requestedNano: requested,
  });
}

/**
 * Holds `estimateNano` against EVERY budget that applies to the call (global, its workflow,
 * agent, user, API key, tags, the run's own limit), atomically in one transaction, or throws
 * BudgetExceededError naming the tightest budget (nothing held), or UnpricedModelError.
 * Safe under any concurrency, across processes: a budget never holds more than its limit.
 */
export async function reserve(db: Database, input: ReserveInput): Promise<Reservation> {
  const parsed = reserveInput.safeParse(input);
  if (!parsed.success) throw DomainError.fromZod(parsed.error);
  const p = parsed.data;
  const item: ReserveItem = {
    id: randomUUID(),
    key: p.idempotencyKey ?? null,
    run: p.runId,
    step: p.stepId,
    workflow: p.workflow,
    agent: p.agent,
    user: p.userId,
    apiKey: p.apiKeyId,
    tags: p.tags,
    runLimit: p.perRunLimitNano?.toString() ?? null,
    amount: p.estimateNano.toString(),
    ttlMs: p.ttlMs,
    unpriced: p.unpriced,
  };
  let row = await submitReserve(db, item);
  // Before refusing, give back what crashed workers hold, then ask once more:
  // a budget must never refuse what it can still afford.
  if (row.o_outcome === "exceeded" && (await expireReservations(db)) > 0) row = await submitReserve(db, item);

  switch (row.o_outcome) {
    case "reserved":
      return {
        id: row.o_id!,
        runId: p.runId,
        stepId: p.stepId,
        amountNano: p.estimateNano,
        status: "active",
        reused: false,
      };
    case "existing":
      return {
        id: row.o_id!,
        runId: p.runId,
        stepId: p.stepId,
        amountNano: BigInt(reserveDetail.parse(row.o_detail ?? {}).amountNano ?? "0"),
        status: (reserveDetail.parse(row.o_detail ?? {}).status ?? "active") as ReservationStatus,
        reused: true,
      };
    case "exceeded":
      throw breachOf(reserveDetail.parse(row.o_detail ?? {}), p.estimateNano);
    case "unpriced":
      throw new UnpricedModelError(p.provider ?? null, p.model ?? "(unknown model)");
  }
}

function toSettleResult(row: z.output<typeof settleRow>, reservationId: string): SettleResult {
  if (row.o_outcome === "missing") throw fieldError("not_found", "reservationId", `no reservation ${reservationId}`);
  return { callId: row.o_id === null ? null : Number(row.o_id), outcome: row.o_outcome };
}

const uuid = z.uuid("reservationId must be a UUID");

/**
 * Records the call (llm_calls, the cost rollup, threshold alerts), moves its cost from
 * reserved to spent on every budget the reservation held, and gives back the rest.
 * Idempotent: settling again returns the first result. A reservation that had expired is
 * still charged ('late'): a call that happened is never lost.
 */
export async function settle(
  db: Database,
  reservationId: string,
  actualCostNano: bigint | number | string,
  callRecord: CallRecord,
): Promise<SettleResult> {
  const id = uuid.safeParse(reservationId);
  if (!id.success) throw DomainError.fromZod(id.error);
  const actual = nanoSchema("actualCostNano").safeParse(actualCostNano);
  if (!actual.success) throw DomainError.fromZod(actual.error);
  const c = callRecordInput.safeParse(callRecord);
  if (!c.success) throw DomainError.fromZod(c.error);
  const usage: Usage = checkUsage({ ...c.data.usage });
  const call = {
    provider: c.data.provider,
    model: c.data.model,
    ...usage,
    priceVersionId: c.data.priceVersionId ?? null,
    priceSource: c.data.priceSource,
    rates: c.data.rates ? flatRatesJson(c.data.rates) : null,
    latencyMs: c.data.latencyMs ?? null,
    status: c.data.status,
    simulated: c.data.simulated,
    error: c.data.error ?? null,
  };
  const row = await submitSettle(db, { id: id.data, actual: actual.data.toString(), call });
  return toSettleResult(row, reservationId);
}

/** Gives a reservation's money back without recording a call (the call never reached the provider). */
export async function release(db: Database, reservationId: string): Promise<SettleResult> {
  const id = uuid.safeParse(reservationId);
  if (!id.success) throw DomainError.fromZod(id.error);
  const row = await submitSettle(db, { id: id.data });
  return toSettleResult(row, reservationId);
}
