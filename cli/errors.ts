import type { WfloApiError } from "../sdk/client";

/**
 * The CLI's exit codes: stable, documented in docs/cli.md and in `wflo help`.
 * 0 ok, 1 run failed, 2 bad usage or config, 3 cannot reach the server or not authorised,
 * 4 validation failed (bad input, unknown workflow or id), 5 budget exceeded, 130 interrupted.
 */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  unreachable: 3,
  validation: 4,
  budgetExceeded: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI prints as one line ("wflo: ...") before exiting with `code`. */
export class CliError extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, `${message} (see wflo help)`);

/** An HTTP error status (and the server's error code) -> exit code. */
export function exitForStatus(status: number, code?: string): ExitCode {
  if (status === 402 || code === "BUDGET_EXCEEDED") return EXIT.budgetExceeded;
  if (status === 401 || status === 403 || status >= 500) return EXIT.unreachable;
  return EXIT.validation;
}

/** A failed API call (the SDK's WfloApiError) as the one line and exit code the CLI ends with. */
export function cliErrorOf(e: WfloApiError): CliError {
  // status 0: the client never got an HTTP answer (UNREACHABLE, or no run for an event).
  if (e.status === 0 || e.code === "BAD_RESPONSE") return new CliError(EXIT.unreachable, e.message);
  return new CliError(exitForStatus(e.status, e.code), e.status === 401 ? `not authorised: ${e.message}` : e.message);
}
