/**
 * The request-size limits of every HTTP edge, in one place (the README's configuration table lists
 * them). Each can be raised or lowered by its environment variable; a value that is not a
 * positive integer stops start-up naming the variable (server/env.ts) rather than disabling the cap.
 */

import { env } from "@/server/env";

export type BodyLimit = { bytes: number; env: string };

/** `WFLO_TRPC_MAX_BYTES`: one panel (tRPC) request body, default 1 MiB. Blueprints and forms fit many times over. */
export const TRPC_BODY_LIMIT: BodyLimit = { bytes: env.WFLO_TRPC_MAX_BYTES, env: "WFLO_TRPC_MAX_BYTES" };

/** `WFLO_REST_MAX_BYTES`: one REST (/api/v1) request body, default 1 MiB. */
export const REST_BODY_LIMIT: BodyLimit = { bytes: env.WFLO_REST_MAX_BYTES, env: "WFLO_REST_MAX_BYTES" };

/** `WFLO_OTLP_MAX_BYTES`: one trace upload (OTLP /api/v1/traces and the JSON /api/v1/spans), default 8 MiB. */
export const OTLP_BODY_LIMIT: BodyLimit = { bytes: env.WFLO_OTLP_MAX_BYTES, env: "WFLO_OTLP_MAX_BYTES" };

/** "request body exceeds 1048576 bytes (WFLO_REST_MAX_BYTES)": what a 413 says, naming the limit and its knob. */
export function tooLargeMessage(limit: BodyLimit): string {
  return `request body exceeds the limit of ${limit.bytes} bytes (${limit.env})`;
}
