import { claimEnginePort } from "./engine-port";

/**
 * Imported for its effect, as the first statement of a test file that runs the embedded engine:
 *
 *   await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));
 *
 * `vi.hoisted` runs before the file's imports, but it cannot use them, hence the dynamic import;
 * and the `await` matters: without it the imports start while this module is still loading, and
 * `@/inngest/client` (which reads WFLO_ENGINE_PORT once, when first imported) can win the race.
 */
export const enginePort = claimEnginePort();
