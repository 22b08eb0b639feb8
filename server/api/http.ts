import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import type { Database } from "@/db/client";
import { log } from "@/server/log";
import { readBodyCapped } from "@/server/security/body";
import { csrfProblem } from "@/server/security/csrf";
import { TRPC_BODY_LIMIT, tooLargeMessage } from "@/server/security/limits";
import { appRouter } from "./root";
import { createInnerContext, type SessionUser } from "./trpc";

/**
 * The panel's tRPC endpoint over HTTP (`/api/trpc/*`), separate from the Next route file so a
 * test can put it behind a real socket with a chosen user standing in for the session cookie.
 * Before tRPC sees a mutation: the CSRF check (403), then the body cap (413), so a forged or
 * oversized request never reaches a procedure, and a 30 MB body is never held in memory.
 */
export type TrpcHttpDeps = { db: Database; user: () => Promise<SessionUser | null> };

const HTTP_CODES = {
  403: { code: "FORBIDDEN", rpc: -32003 },
  413: { code: "PAYLOAD_TOO_LARGE", rpc: -32013 },
} as const;

/** A refusal in tRPC's own error shape (through the transformer), one per call of a batch, so the panel's client shows the message. */
function refusal(req: Request, status: keyof typeof HTTP_CODES, message: string): Response {
  const { code, rpc } = HTTP_CODES[status];
  const url = new URL(req.url);
  const path = decodeURIComponent(url.pathname.replace(/^\/api\/trpc\/?/, ""));
  const error = (p: string) => ({
    error: superjson.serialize({ message, code: rpc, data: { code, httpStatus: status, path: p } }),
  });
  const body = url.searchParams.get("batch") === "1" ? path.split(",").map(error) : error(path);
  return Response.json(body, { status });
}

export async function handleTrpcHttp(req: Request, deps: TrpcHttpDeps): Promise<Response> {
  let request = req;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const csrf = csrfProblem(req);
    if (csrf) {
      await req.body?.cancel().catch(() => undefined);
      return refusal(req, 403, csrf);
    }
    const body = await readBodyCapped(req, TRPC_BODY_LIMIT.bytes);
    if (!body.ok) return refusal(req, 413, tooLargeMessage(TRPC_BODY_LIMIT));
    request = new Request(req.url, { method: req.method, headers: req.headers, body: body.bytes, signal: req.signal });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: async () => createInnerContext({ db: deps.db, user: await deps.user() }),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") log.error({ path, err: error.cause ?? error }, "tRPC internal error");
    },
  });
}
