/**
 * Every failure of a WfloClient call. `status` is the HTTP status (0 when the server could not
 * be reached); `code` the server's stable code (UNAUTHORIZED, FORBIDDEN, BAD_REQUEST, NOT_FOUND,
 * CONFLICT, PRECONDITION_FAILED, BUDGET_EXCEEDED, ...) or, from the client itself, UNREACHABLE
 * or BAD_RESPONSE; `message` the server's own one-line message.
 */
export class WfloApiError extends Error {
  override readonly name = "WfloApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
