import pino from "pino";

/**
 * The one logger. JSON in production (for log pipelines), pretty in development.
 * Anything that looks like a secret is redacted by path before it is written.
 */
export const log = pino({
  level: process.env.WFLO_LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "warn" : "info"),
  base: { service: "wflo" },
  redact: {
    paths: ["password", "*.password", "passwordHash", "*.passwordHash", "token", "*.token", "apiKey", "*.apiKey", "authorization", "*.authorization", "headers.authorization", "headers.cookie", "secret", "*.secret"],
    censor: "[redacted]",
  },
  ...(process.env.NODE_ENV === "development" && process.stdout.isTTY
    ? { transport: { target: "pino-pretty", options: { colorize: true } } }
    : {}),
});
