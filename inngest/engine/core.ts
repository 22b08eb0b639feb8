import type { Backoff } from "./backoff";
import type { Sql } from "./db";
import type { FunctionRegistry } from "./registry";

/** What every part of the engine shares within one process. */
export type EngineCore = {
  sql: Sql;
  registry: FunctionRegistry;
  signingKey?: string;
  /** The app's own event key for the intake (senders.ts); undefined = only admin-made keys are accepted. */
  internalEventKey?: string;
  backoff: Backoff;
  leaseMs: number;
  requestTimeoutMs: number;
  /** Wake this process's worker (other processes hear pg_notify on commit). */
  wake: () => void;
};

export const QUEUE_CHANNEL = "engine_queue";
