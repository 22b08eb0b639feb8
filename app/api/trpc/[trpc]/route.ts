import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getDb } from "@/db/client";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import { currentUser } from "@/server/auth/session";
import { log } from "@/server/log";

function handler(req: Request) {
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
