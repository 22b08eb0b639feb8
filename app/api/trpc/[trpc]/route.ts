import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getDb } from "@/db/client";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import { currentUser } from "@/server/auth/session";
import { log, requestIdOf, withLogContext } from "@/server/log";

function handler(req: Request) {
  // One correlation id per request on every log line it causes.
  return withLogContext({ requestId: requestIdOf(req) }, () => handle(req));
}

function handle(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => createInnerContext({ db: getDb(), user: await currentUser() }),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") log.error({ path, err: error.cause ?? error }, "tRPC internal error");
    },
  });
}

export { handler as GET, handler as POST };
