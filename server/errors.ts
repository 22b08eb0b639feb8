/**
 * The one error model of the domain. Services throw a `DomainError` (never a transport error);
 * tRPC (server/api/trpc.ts) and REST (server/rest/errors.ts) each map it in one place, through
 * the table below, so a refusal has the same code, status and message on every path.
 * A field at fault travels as data (`field`, `fieldErrors`), never to be parsed back out of text.
 */
import type { ZodError } from "zod";
import { describeZodIssues, type FieldIssue } from "./zod-issues";

// The formatter lives in a leaf (server/zod-issues.ts) the engine and the CLI may import too.
export { describeZodIssues, type FieldIssue };

/** What went wrong, in the domain's words; `transportOf` says what each means on the wire. */
export type DomainErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "precondition_failed"
  | "too_large"
  | "too_many_requests"
  | "bad_gateway"
  | "internal";

/** tRPC's code names (also the REST body's `code`, which the CLI maps to exit codes) and HTTP statuses. */
const TRANSPORT = {
  bad_request: { trpc: "BAD_REQUEST", status: 400 },
  unauthorized: { trpc: "UNAUTHORIZED", status: 401 },
  forbidden: { trpc: "FORBIDDEN", status: 403 },
  not_found: { trpc: "NOT_FOUND", status: 404 },
  conflict: { trpc: "CONFLICT", status: 409 },
  precondition_failed: { trpc: "PRECONDITION_FAILED", status: 412 },
  too_large: { trpc: "PAYLOAD_TOO_LARGE", status: 413 },
  too_many_requests: { trpc: "TOO_MANY_REQUESTS", status: 429 },
  bad_gateway: { trpc: "BAD_GATEWAY", status: 502 },
  internal: { trpc: "INTERNAL_SERVER_ERROR", status: 500 },
} as const satisfies Record<DomainErrorCode, { trpc: string; status: number }>;

export type TransportCode = (typeof TRANSPORT)[DomainErrorCode]["trpc"];

export function transportOf(code: DomainErrorCode): { trpc: TransportCode; status: number } {
  return TRANSPORT[code];
}

/** Per-field messages for a form, keyed by the top-level field (as `z.flattenError` keys them). */
export type FieldErrors = Record<string, string[]>;

export type DomainErrorOptions = {
  /** The input field at fault, as a dotted path ("alertThresholds.1"). */
  field?: string;
  /** Every field at fault (default: `field` with the whole message's rule unknown, so none). */
  issues?: FieldIssue[];
  cause?: unknown;
};

export class DomainError extends Error {
  override name = "DomainError";
  readonly field: string | undefined;
  readonly issues: FieldIssue[];

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    opts: DomainErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.field = opts.field;
    this.issues = opts.issues ?? [];
  }

  /** The issues keyed by top-level field, for forms. */
  get fieldErrors(): FieldErrors {
    return fieldErrorsOfIssues(this.issues);
  }

  /** Bad input as zod reported it: "field: rule; other.0: rule", the first field, and per-field rules. */
  static fromZod(err: ZodError, opts: { prefix?: string; root?: string; code?: DomainErrorCode } = {}): DomainError {
    const described = describeZodIssues(err, opts);
    return new DomainError(opts.code ?? "bad_request", described.message, {
      field: described.field,
      issues: described.issues,
      cause: err,
    });
  }
}

/** "field: rule", with `field` and its rule also as data. */
export function fieldError(code: DomainErrorCode, field: string, rule: string, cause?: unknown): DomainError {
  return new DomainError(code, `${field}: ${rule}`, { field, issues: [{ field, message: rule }], cause });
}

/** Several fields wrong at once: "a: rule; b.0: rule", the first field named as `field`. */
export function fieldErrorsOf(
  code: DomainErrorCode,
  problems: readonly { field: string; rule: string }[],
): DomainError {
  const issues = problems.map((p) => ({ field: p.field, message: p.rule }));
  return new DomainError(code, problems.map((p) => `${p.field}: ${p.rule}`).join("; "), {
    field: problems[0]?.field,
    issues,
  });
}

/** A 400 whose message is already written (e.g. security/text-input's "field: rule"), with `field` as data. */
export function badRequest(message: string, field?: string): DomainError {
  return new DomainError("bad_request", message, { field });
}

/** Keyed by top-level field; issues about the whole input ("") are not a field's. */
export function fieldErrorsOfIssues(issues: readonly FieldIssue[]): FieldErrors {
  const out: FieldErrors = {};
  for (const i of issues) if (i.field) (out[i.field.split(".")[0]!] ??= []).push(i.message);
  return out;
}
