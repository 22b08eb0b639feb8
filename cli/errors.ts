/** The CLI's exit codes: stable, documented in the README ("CLI"). */
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
