import type { Rates } from "./rates";

/**
 * The demo provider's model. It is priced (like a mid-range real model) so that budgets,
 * alerts and dashboards work end to end without any API key; its calls are stored with
 * `simulated: true` and count against budgets like any other call. An admin override of
 * simulated/wflo-sim-1 wins over this built-in price.
 */
export const SIMULATED_PROVIDER = "simulated";
export const SIMULATED_MODEL = "wflo-sim-1";

/** $2.50 input, $1.25 cached input, $10 output per million tokens, in nano-dollars. */
export const SIMULATED_RATES: Rates = {
  input: 2_500_000_000n,
  output: 10_000_000_000n,
  cachedInput: 1_250_000_000n,
  cacheWrite: null,
  reasoning: null,
  perRequest: 0n,
};

export function isSimulatedModel(provider: string | null, model: string): boolean {
  return provider === SIMULATED_PROVIDER || model === SIMULATED_MODEL;
}
