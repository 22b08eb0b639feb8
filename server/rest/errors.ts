import { DomainError, transportOf } from "@/server/errors";
import { BudgetExceededError, UnpricedModelError } from "@/server/governance/errors";
import { log } from "@/server/log";

/**
 * Every REST error body: `{ error, code }` (+ `field` when one input field is at fault, + `details`
 * for a budget refusal). `code` is stable for programs (the CLI maps it to exit codes); `error`
 * is a one-line message for people that names the problem.
 */
export type RestErrorBody = { error: string; code: string; field?: string; details?: Record<string, unknown> };

/** An error a route handler raises on purpose, with its HTTP status. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** JSON with bigint (nano-dollars) as decimal strings: exact, and JSON.parse-able everywhere. */
export function jsonBody(value: unknown, status = 200): Response {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return new Response(text, { status, headers: { "content-type": "application/json" } });
}

export function errorJson(status: number, body: RestErrorBody): Response {
  return jsonBody(body, status);
}

/** Maps anything a service throws to the response: 4xx messages kept, 5xx hidden (as tRPC's formatter does). */
export function errorResponse(err: unknown): Response {
  if (err instanceof RestError)
    return errorJson(err.status, { error: err.message, code: err.code, ...(err.field && { field: err.field }) });
  if (err instanceof BudgetExceededError) {
    return errorJson(402, {
      error: err.message,
      code: "BUDGET_EXCEEDED",
      details: {
        scope: err.scope,
        scopeValue: err.scopeValue,
        period: err.period,
        budgetId: err.budgetId,
        budgetName: err.budgetName,
        limitNano: err.limitNano.toString(),
        spentNano: err.spentNano.toString(),
        reservedNano: err.reservedNano.toString(),
        requestedNano: err.requestedNano.toString(),
      },
    });
  }
  if (err instanceof UnpricedModelError)
    return errorJson(422, { error: err.message, code: "UNPRICED_MODEL", field: "model" });
  if (err instanceof DomainError) {
    // THE mapping of a service's DomainError to HTTP: status and code by the shared table, its field as data.
    const { status, trpc } = transportOf(err.code);
    if (status < 500)
      return errorJson(status, { error: err.message, code: trpc, ...(err.field && { field: err.field }) });
  }
  log.error({ err }, "REST handler failed");
  return errorJson(500, { error: "Internal server error", code: "INTERNAL_SERVER_ERROR" });
}
