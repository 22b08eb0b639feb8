import "server-only";

import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy, type TRPCQueryOptions } from "@trpc/tanstack-react-query";
import { cache } from "react";
import { getDb } from "@/db/client";
import { makeQueryClient } from "@/components/trpc/query-client";
import { currentUser } from "@/server/auth/session";
import { appRouter } from "./root";
import { createInnerContext } from "./trpc";

/** One context and one query client per server request. */
const createServerContext = cache(async () => createInnerContext({ db: getDb(), user: await currentUser() }));
export const getQueryClient = cache(makeQueryClient);

export const trpc = createTRPCOptionsProxy({
  ctx: createServerContext,
  router: appRouter,
  queryClient: getQueryClient,
});

/** A server-side caller for server components that need data directly. */
export async function serverCaller() {
  return appRouter.createCaller(await createServerContext());
}

export function HydrateClient({ children }: { children: React.ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

/**
 * Starts a query on the server for `HydrateClient` to hand to the browser. Not awaited, the
 * query streams as a pending promise, which suits `useSuspenseQuery`; a component using plain
 * `useQuery` renders its loading state on the server, so its page awaits this instead, and the
 * HTML carries the data (and hydration matches). Failures are left for the client to fetch
 * and show; prefetching never throws.
 */
// biome-ignore lint/suspicious/noExplicitAny: mirrors tRPC's documented helper signature (any procedure's options).
export function prefetch<T extends ReturnType<TRPCQueryOptions<any>>>(queryOptions: T): Promise<void> {
  const qc = getQueryClient();
  if (queryOptions.queryKey[1]?.type === "infinite") return qc.prefetchInfiniteQuery(queryOptions as never);
  return qc.prefetchQuery(queryOptions);
}
