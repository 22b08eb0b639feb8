import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { log } from "@/server/log";

/** JSON error bodies for REST handlers: 4xx messages as thrown, 5xx hidden (as in tRPC's formatter). */
export function jsonError(status: number, message: string): Response {
  return Response.json({ error: { status, message } }, { status });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(err);
    if (status < 500) return jsonError(status, err.message);
  }
  log.error({ err }, "REST handler failed");
  return jsonError(500, "Internal server error");
}
