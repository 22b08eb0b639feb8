// Types for scripts/e2e-ports.mjs (plain JavaScript, shared by playwright.config.ts and its test).
export type E2EPorts = { web: number; engine: number; pg: number };
export const E2E_PORT_VARIABLES: { web: "WFLO_E2E_PORT"; engine: "WFLO_E2E_ENGINE_PORT"; pg: "WFLO_E2E_PG_PORT" };
export const RESOLVED_MARKER: "WFLO_E2E_PORTS_RESOLVED";
/** Reads and writes `env` (default process.env). */
export function resolveE2EPorts(env?: Record<string, string | undefined>): E2EPorts;
