import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Route } from "@/server/rest/route";
import { restRoutes } from "@/server/rest/routes";

/**
 * The /api/v1 route handlers behind a plain node HTTP server, for tests that need a real
 * socket (the CLI as a child process) without building Next. It does what Next's router does
 * for these routes: match the path, hand the handler a Request and its params.
 */
export type RestServer = { url: string; close(): Promise<void> };

const matchers = restRoutes.map((r) => {
  const names: string[] = [];
  const re = new RegExp(
    `^/api/v1${r.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return "([^/]+)";
    })}$`,
  );
  return { r, re, names };
});

function match(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
  for (const m of matchers) {
    if (m.r.method !== method) continue;
    const hit = m.re.exec(pathname);
    if (hit)
      return {
        route: m.r,
        params: Object.fromEntries(m.names.map((n, i) => [n, decodeURIComponent(hit[i + 1] ?? "")])),
      };
  }
  return null;
}

export async function startRestServer(): Promise<RestServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const hit = match(req.method ?? "GET", url.pathname);
      if (!hit) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: `no route ${req.method} ${url.pathname}`, code: "NOT_FOUND" }));
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      // Streamed, as Next hands it over: the handler's own size cap is what a large upload meets.
      const body = req.method === "GET" ? undefined : (Readable.toWeb(req) as ReadableStream<Uint8Array>);
      const response = await hit.route.handle(
        new Request(url, { method: req.method, headers, body, ...(body && { duplex: "half" }) } as RequestInit),
        { params: Promise.resolve(hit.params) },
      );
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
