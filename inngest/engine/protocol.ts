import { z } from "zod";

/**
 * The shapes that cross the wire between the engine and an SDK, parsed with zod at the
 * boundary. Unknown fields are kept (passthrough) where the SDK adds internal ones.
 * Reference: /work/notes/inngest-protocol.md (verified against inngest-js 4.24).
 */

const concurrencyOption = z.union([
  z.number().int(),
  z.object({ limit: z.number().int(), key: z.string().optional(), scope: z.enum(["fn", "env", "account"]).optional() }),
]);

export const functionConfigSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  triggers: z
    .array(
      z.union([
        z.object({ event: z.string(), expression: z.string().optional() }),
        z.object({ cron: z.string(), jitter: z.string().optional() }),
      ]),
    )
    .default([]),
  steps: z.record(
    z.string(),
    z.looseObject({
      id: z.string(),
      runtime: z.looseObject({ url: z.string() }),
      retries: z.object({ attempts: z.number().int().min(0).max(30) }).optional(),
    }),
  ),
  idempotency: z.string().optional(),
  batchEvents: z
    .object({
      maxSize: z.number().int().min(1),
      timeout: z.string(),
      key: z.string().optional(),
      if: z.string().optional(),
    })
    .optional(),
  rateLimit: z.object({ key: z.string().optional(), limit: z.number().int().min(1), period: z.string() }).optional(),
  throttle: z
    .object({
      key: z.string().optional(),
      limit: z.number().int().min(1),
      period: z.string(),
      burst: z.number().int().optional(),
    })
    .optional(),
  debounce: z.object({ key: z.string().optional(), period: z.string(), timeout: z.string().optional() }).optional(),
  priority: z.object({ run: z.string().optional() }).optional(),
  timeouts: z.object({ start: z.string().optional(), finish: z.string().optional() }).optional(),
  concurrency: z.union([concurrencyOption, z.array(concurrencyOption)]).optional(),
  cancel: z
    .array(z.object({ event: z.string(), if: z.string().optional(), timeout: z.string().optional() }))
    .optional(),
  singleton: z.object({ key: z.string().optional(), mode: z.enum(["skip", "cancel"]) }).optional(),
});
export type FunctionConfig = z.infer<typeof functionConfigSchema>;

export const registerBodySchema = z.looseObject({
  url: z.string(),
  appName: z.string().min(1),
  framework: z.string().optional(),
  sdk: z.string().optional(),
  functions: z.array(functionConfigSchema),
});

export const inBandSyncBodySchema = z.looseObject({
  app_id: z.string().min(1),
  url: z.string(),
  framework: z.string().nullish(),
  sdk: z.string().optional(),
  functions: z.array(functionConfigSchema),
});

/** An event as the engine stores it and hands it to the SDK. */
export type EngineEvent = {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  user: Record<string, unknown>;
  v?: string;
};

export const serializedErrorSchema = z.looseObject({
  name: z.string().optional(),
  message: z.string().optional(),
  stack: z.string().optional(),
});
export type SerializedError = { name: string; message: string; stack?: string; [k: string]: unknown };

export const opSchema = z.looseObject({
  id: z.string().min(1),
  op: z.string(),
  name: z.string().optional(),
  displayName: z.string().optional(),
  opts: z.record(z.string(), z.unknown()).nullish(),
  data: z.unknown().optional(),
  error: z.unknown().optional(),
});
export type Op = z.infer<typeof opSchema>;
export const opsSchema = z.array(opSchema);

export const checkpointBodySchema = z.looseObject({
  run_id: z.string(),
  fn_id: z.string().optional(),
  qi_id: z.string(),
  steps: z.array(
    z.looseObject({
      id: z.string(),
      op: z.string(),
      name: z.string().optional(),
      displayName: z.string().optional(),
      data: z.unknown().optional(),
    }),
  ),
});

/** Normalises whatever an SDK says failed into the `{name, message}` shape the SDK can rebuild. */
export function toSerializedError(raw: unknown, fallbackMessage: string): SerializedError {
  const parsed = serializedErrorSchema.safeParse(raw);
  if (parsed.success && (parsed.data.message !== undefined || parsed.data.name !== undefined)) {
    const { name, message, ...rest } = parsed.data;
    return { ...rest, name: name ?? "Error", message: message ?? fallbackMessage };
  }
  if (typeof raw === "string" && raw.length > 0) return { name: "Error", message: raw };
  return { name: "Error", message: fallbackMessage };
}

export const STEP_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;
/** Inngest's per-event limit; a request may carry several events up to the request limit. */
export const EVENT_LIMIT_BYTES = 256 * 1024;
export const EVENT_REQUEST_LIMIT_BYTES = 3 * 1024 * 1024;
export const DEFAULT_RETRIES = 4;

export function maxAttemptsOf(config: FunctionConfig): number {
  const step = Object.values(config.steps)[0];
  return (step?.retries?.attempts ?? DEFAULT_RETRIES) + 1;
}

export function runtimeUrlOf(config: FunctionConfig): string {
  const step = Object.values(config.steps)[0];
  if (!step) throw new Error(`function ${config.id} has no step runtime`);
  return step.runtime.url;
}
