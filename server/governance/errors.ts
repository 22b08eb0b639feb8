import type { BudgetPeriod } from "@/db/schema";
import { formatUsd, nanoToUsdNumber } from "./money";

export type BudgetScopeName = "global" | "workflow" | "agent" | "user" | "api_key" | "tag" | "run";

export type BudgetBreach = {
  /** 'run' for a run's own limit given at trigger time (wflo run --budget). */
  scope: BudgetScopeName;
  scopeValue: string;
  period: BudgetPeriod;
  budgetId: string | null;
  budgetName: string | null;
  limitNano: bigint;
  spentNano: bigint;
  reservedNano: bigint;
  /** What this call would have needed at worst. */
  requestedNano: bigint;
};

/** A call was refused because a budget cannot afford its worst case. Nothing was reserved. */
export class BudgetExceededError extends Error {
  override name = "BudgetExceededError";
  readonly scope: BudgetScopeName;
  readonly scopeValue: string;
  readonly period: BudgetPeriod;
  readonly budgetId: string | null;
  readonly budgetName: string | null;
  readonly limitNano: bigint;
  readonly spentNano: bigint;
  readonly reservedNano: bigint;
  readonly requestedNano: bigint;

  constructor(b: BudgetBreach) {
    const what =
      b.scope === "global" ? "global" : b.scope === "run" ? `run ${b.scopeValue}` : `${b.scope} "${b.scopeValue}"`;
    super(
      `budget exceeded: ${what} ${b.period === "lifetime" ? "lifetime" : `per ${b.period}`} limit ${formatUsd(b.limitNano)}, ` +
        `spent ${formatUsd(b.spentNano)}, reserved by calls in flight ${formatUsd(b.reservedNano)}, this call needs up to ${formatUsd(b.requestedNano)}`,
    );
    this.scope = b.scope;
    this.scopeValue = b.scopeValue;
    this.period = b.period;
    this.budgetId = b.budgetId;
    this.budgetName = b.budgetName;
    this.limitNano = b.limitNano;
    this.spentNano = b.spentNano;
    this.reservedNano = b.reservedNano;
    this.requestedNano = b.requestedNano;
  }

  /** Display only (the names the Python SDK's users know). */
  get spentUsd(): number {
    return nanoToUsdNumber(this.spentNano);
  }
  get budgetUsd(): number {
    return nanoToUsdNumber(this.limitNano);
  }
}

/** A call to a model wflo has no price for, under a budget, while unpriced models are not allowed. */
export class UnpricedModelError extends Error {
  override name = "UnpricedModelError";
  constructor(
    readonly provider: string | null,
    readonly model: string,
  ) {
    super(
      `model ${provider ? `${provider}/` : ""}${model} has no price, and a budget applies to this call: ` +
        `add a price for it (Settings -> Model prices) or let an admin allow unpriced models`,
    );
  }
}
