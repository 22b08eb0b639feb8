import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { redact, redactString } from "@/server/tracing/redact";
import { env } from "@/server/env";

/**
 * What a log line is about: the run (whose id is also its trace id), the step, the span, and the
 * correlation id of the HTTP request that caused it. Set with `withLogContext`, so every line
 * written inside, by any module, carries it without passing a logger around.
 */
export type LogContext = { runId?: string; traceId?: string; step?: string; spanId?: string; requestId?: string };
const logContext = new AsyncLocalStorage<LogContext>();

function options(): pino.LoggerOptions {
  return {
    level: env.WFLO_LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "warn" : "info"),
    base: { service: "wflo" },
    mixin: () => logContext.getStore() ?? {},
    // Path redaction catches known fields cheaply; `redact` also catches secrets under unknown
    // keys and inside free text (a bearer token in an error message), and WFLO_REDACT_PATTERNS.
    formatters: { log: (o) => redact(o) },
    hooks: {
      // Redacted here as well as in the formatter: pino takes a line's message from an error's
      // own `message` (log.error(err), log.error({ err })) before any formatter runs, and a
      // drizzle error's message carries the SQL parameters.
      logMethod(args, method) {
        const clean = args.map((a) =>
          typeof a === "string" ? redactString(a) : a && typeof a === "object" ? redact(a) : a,
        );
        if (args[0] instanceof Error) {
          const err = clean[0] as { message?: unknown };
          clean.splice(0, 1, { err }, ...(clean.length === 1 && typeof err.message === "string" ? [err.message] : []));
        }
        method.apply(this, clean as Parameters<typeof method>);
      },
    },
    redact: {
      paths: [
        "password",
        "*.password",
        "passwordHash",
        "*.passwordHash",
        "token",
        "*.token",
        "apiKey",
        "*.apiKey",
        "authorization",
        "*.authorization",
        "headers.authorization",
        "headers.cookie",
        "secret",
        "*.secret",
      ],
      censor: "[redacted]",
    },
  };
}

/** A logger with wflo's options; tests pass a destination to read what would be written. */
export function createLogger(destination?: pino.DestinationStream): pino.Logger {
  if (destination) return pino(options(), destination);
  return pino({
    ...options(),
    ...(process.env.NODE_ENV === "development" && process.stdout.isTTY
      ? { transport: { target: "pino-pretty", options: { colorize: true } } }
      : {}),
  });
}

/**
 * The one logger. JSON in production (for log pipelines), pretty in development.
 * Anything that looks like a secret is redacted before it is written.
 */
export const log = createLogger();

/** Runs `fn` with `ctx` added to every log line written inside it (also across awaits). */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return logContext.run(
    { ...logContext.getStore(), ...ctx, ...(ctx.runId && !ctx.traceId ? { traceId: ctx.runId } : {}) },
    fn,
  );
}

/** A child logger for one run / step / span: the run id is the trace id. */
export function runLogger(ctx: { runId: string; step?: string; spanId?: string }): pino.Logger {
  return log.child({
    runId: ctx.runId,
    traceId: ctx.runId,
    ...(ctx.step ? { step: ctx.step } : {}),
    ...(ctx.spanId ? { spanId: ctx.spanId } : {}),
  });
}

/** The request's correlation id: the caller's `x-request-id` when sane, else a new one. */
export function requestIdOf(req: Request): string {
  const given = req.headers.get("x-request-id");
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
}
