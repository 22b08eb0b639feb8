import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Database } from "@/db/client";
import { handleTrpcHttp } from "@/server/api/http";
import type { SessionUser } from "@/server/api/trpc";

/**
 * `/api/trpc/*` behind a real node HTTP server, as Next serves it, with `user` standing in for
 * the session cookie. The body is streamed into the Request, not buffered here, so the handler's
 * own size cap is what a large upload meets.
 */
export type TrpcServer = { url: string; close(): Promise<void> };

export async function startTrpcServer(db: Database, user: () => SessionUser | null): Promise<TrpcServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const body = hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined;
      const request = new Request(url, {
        method: req.method,
        headers,
        body,
        ...(body && { duplex: "half" }),
      } as RequestInit);
      const response = await handleTrpcHttp(request, { db, user: async () => user() });
      res
        .writeHead(response.status, Object.fromEntries(response.headers.entries()))
        .end(Buffer.from(await response.arrayBuffer()));
    })().catch((e: unknown) => res.writeHead(500).end(String(e)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
