/** The cost-governance library: what the rest of wflo calls. See README.md beside this file. */
export { trackLlmCall, type CallContext, type TrackedCall, type TrackOptions } from "./track";
export {
  reserve,
  settle,
  release,
  expireReservations,
  type ReserveInput,
  type Reservation,
  type CallRecord,
  type SettleResult,
} from "./budgets/reservations";
export {
  createBudget,
  updateBudget,
  deleteBudget,
  listBudgets,
  pendingBudgetAlerts,
  markBudgetAlertsDelivered,
  type PublicBudget,
} from "./budgets/service";
export { createBudgetInput, updateBudgetInput, deleteBudgetInput } from "./budgets/schemas";
export { budgetTimeZone } from "./budgets/timezone";
export { getCostBreakdown, getCostOverTime, rebuildCostRollup, type CostBreakdown, type CostPoint } from "./reports";
export {
  setModelPrice,
  removeModelPrice,
  listModelPrices,
  modelPriceHistory,
  getGovernanceSettings,
  setAllowUnpricedModels,
  type PublicPrice,
} from "./pricing/service";
export { setModelPriceInput, modelKeyInput, setAllowUnpricedInput } from "./pricing/schemas";
export { getPriceBook, resolvePrice, invalidatePriceBook, type ResolvedPrice } from "./pricing/price-book";
export { costOf, type Rates, type FlatRates } from "./pricing/rates";
export { parseModelRef, detectProvider } from "./pricing/detect";
export {
  estimateCallCost,
  countPromptTokens,
  DEFAULT_MAX_OUTPUT_TOKENS,
  type EstimateInput,
} from "./estimate/estimate";
export { countTokens } from "./estimate/tokens";
export { extractUsage, type UsageHint } from "./usage/extract";
export { UsageError, type Usage, type ExtractedUsage } from "./usage/types";
export { BudgetExceededError, UnpricedModelError } from "./errors";
export { formatUsd, usdToNano, nanoToUsdString, nanoToUsdNumber, NANO_PER_USD } from "./money";
