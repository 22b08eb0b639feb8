/** The `{ error: { status, message } }` body of the metrics and OTLP endpoints (REST routes use server/rest/errors.ts). */
export function jsonError(status: number, message: string): Response {
  return Response.json({ error: { status, message } }, { status });
}
