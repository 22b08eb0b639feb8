import { once } from "node:events";
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import NextAuth from "next-auth";
import { getAuthOptions } from "@/server/auth/options";

/**
 * A real HTTP server that serves NextAuth's real handler (the core that `app/api/auth/[...nextauth]`
 * runs) over real sockets, so tests sign in, read the session and sign out the way a browser does.
 * It does what `next start` does to a request before the route sees it: fills `x-forwarded-for`
 * with the socket address only when the client sent none (next/dist/server/base-server.js), and
 * runs `prepare(req)` first, where a test installs what the app installs at boot.
 */
export type AuthServer = { url: string; close: () => Promise<void> };

type ApiRequest = IncomingMessage & {
  query: Record<string, string | string[]>;
  cookies: Record<string, string>;
  body: Record<string, string>;
};
type ApiResponse = ServerResponse & {
  status: (n: number) => ApiResponse;
  send: (b: unknown) => void;
  json: (b: unknown) => void;
};

function parseCookies(header: string): Record<string, string> {
  return Object.fromEntries(
    header
      .split(";")
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => [p.slice(0, p.indexOf("=")), decodeURIComponent(p.slice(p.indexOf("=") + 1))]),
  );
}

async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}

export async function startAuthServer(prepare: (req: IncomingMessage) => void = () => {}): Promise<AuthServer> {
  const server = createServer((req, res) => {
    void (async () => {
      prepare(req);
      req.headers["x-forwarded-for"] ??= req.socket.remoteAddress;
      const url = new URL(req.url ?? "/", "http://localhost");
      const api = req as ApiRequest;
      api.query = {
        ...Object.fromEntries(url.searchParams),
        nextauth: url.pathname.replace(/^\/api\/auth\//, "").split("/"),
      };
      api.cookies = parseCookies(req.headers.cookie ?? "");
      api.body = req.method === "POST" ? await readForm(req) : {};
      const out = res as ApiResponse;
      out.status = (n) => {
        out.statusCode = n;
        return out;
      };
      out.json = (b) => {
        out.setHeader("Content-Type", "application/json");
        return out.end(JSON.stringify(b));
      };
      out.send = (b) => (typeof b === "string" ? out.end(b) : out.json(b));
      await NextAuth(api as never, out as never, getAuthOptions());
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  process.env.NEXTAUTH_URL = url;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}

/** One browser: a cookie jar, optionally from its own loopback address (Linux routes all of 127/8 to lo). */
export class Browser {
  cookies = new Map<string, string>();
  constructor(
    private readonly base: string,
    private readonly localAddress = "127.0.0.1",
  ) {}

  async call(
    method: "GET" | "POST",
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: string; json: () => Record<string, unknown> }> {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const headers: Record<string, string> = {
      ...opts.headers,
      cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    };
    if (body) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const r = request(`${this.base}${path}`, { method, headers, localAddress: this.localAddress }, resolve);
      r.on("error", reject);
      r.end(body);
    });
    for (const line of res.headers["set-cookie"] ?? []) {
      const [pair] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === "" || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return { status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) as Record<string, unknown> };
  }

  private async csrf(): Promise<string> {
    return String((await this.call("GET", "/api/auth/csrf")).json().csrfToken);
  }

  /** Signs in with email and password; returns the error NextAuth redirected with, or null on success. */
  async signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<string | null> {
    const csrfToken = await this.csrf();
    const res = await this.call("POST", "/api/auth/callback/credentials", {
      form: { csrfToken, email, password, json: "true" },
      headers,
    });
    const url = new URL(String(res.json().url));
    return url.searchParams.get("error");
  }

  /** The session the panel would see: the user, or null when the cookie is missing or refused. */
  async session(): Promise<{ id: string; email: string } | null> {
    const s = (await this.call("GET", "/api/auth/session")).json() as { user?: { id: string; email: string } };
    return s.user ?? null;
  }

  async signOut(): Promise<void> {
    const csrfToken = await this.csrf();
    await this.call("POST", "/api/auth/signout", { form: { csrfToken, json: "true" } });
  }

  /** Another device holding a copy of this one's cookies. */
  copy(): Browser {
    const b = new Browser(this.base, this.localAddress);
    b.cookies = new Map(this.cookies);
    return b;
  }
}
