import type { z } from "zod";
import { getDb, type Database } from "@/db/client";
import { authenticateApiKey } from "@/server/apikeys/service";
import type { ApiKeyPrincipal } from "@/server/auth/principal";
import { can, type Permission } from "@/server/auth/permissions";
import { requestIdOf, withLogContext } from "@/server/log";
import { readBodyCapped } from "@/server/security/body";
import { REST_BODY_LIMIT, tooLargeMessage, type BodyLimit } from "@/server/security/limits";
import { badTextMessage, findBadText } from "@/server/security/text-input";
import { describeZodIssues } from "@/server/errors";
import { errorJson, errorResponse, jsonBody } from "./errors";

type AnyObject = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler gets: the key's actor (already allowed `permission`), parsed params, query and body. */
export type RouteContext<P, Q, B> = {
  req: Request;
  db: Database;
  actor: ApiKeyPrincipal;
  params: P;
  query: Q;
  body: B;
};

/** Next's second route-handler argument. */
export type NextRouteArg = { params: Promise<Record<string, string | string[] | undefined>> };

export type RouteSpec<
  P extends AnyObject | undefined,
  Q extends AnyObject | undefined,
  B extends z.ZodType | undefined,
> = {
  method: "GET" | "POST";
  /** OpenAPI style, under /api/v1: "/runs/{id}". */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  permission: Permission;
  params?: P;
  query?: Q;
  body?: B;
  /** The body's size cap (default REST_BODY_LIMIT, server/security/limits.ts); over it: 413 naming the limit. */
  bodyLimit?: BodyLimit;
  /** Success status (default 200) and what it carries, for the OpenAPI document. */
  status?: number;
  response: { description: string; schema?: z.ZodType };
  /** Extra documented failures (401/403/400 are on every route). */
  errors?: Partial<Record<402 | 404 | 409 | 412 | 413 | 422, string>>;
  handler: (ctx: RouteContext<Out<P>, Out<Q>, Out<B>>) => Promise<unknown>;
};

export type Route = Omit<RouteSpec<AnyObject | undefined, AnyObject | undefined, z.ZodType | undefined>, "handler"> & {
  /** The Next route handler: `export const GET = route.handle`. */
  handle: (req: Request, ctx?: NextRouteArg) => Promise<Response>;
};

/** Query strings carry text; a repeated key keeps its last value. */
function queryObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

type JsonBody = { ok: true; value: unknown } | { ok: false; status: 400 | 413; error: string; code: string };

/** The body as JSON, read with a streaming cap: a 30 MB body is refused after `limit` bytes, never held whole. */
async function readJson(req: Request, limit: BodyLimit): Promise<JsonBody> {
  const body = await readBodyCapped(req, limit.bytes);
  if (!body.ok) return { ok: false, status: 413, error: tooLargeMessage(limit), code: "PAYLOAD_TOO_LARGE" };
  const text = new TextDecoder().decode(body.bytes);
  if (!text.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, status: 400, error: "body must be JSON", code: "BAD_REQUEST" };
  }
}

/**
 * One REST route: API key -> permission (the one map, `can`) -> the body under its size cap
 * (413) -> no NUL bytes or lone surrogates anywhere (400) -> params, query, body through
 * zod (400 naming the field) -> the handler -> JSON, with service errors mapped to statuses.
 * The order matters: nobody learns whether an id exists, or what a body should be, without a key
 * that may make the call.
 */
export function defineRoute<
  P extends AnyObject | undefined = undefined,
  Q extends AnyObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
  const handle = async (req: Request, next?: NextRouteArg): Promise<Response> =>
    withLogContext({ requestId: requestIdOf(req) }, async () => {
      try {
        const db = getDb();
        const actor = await authenticateApiKey(db, req);
        if (!actor)
          return errorJson(401, {
            error: "missing, unknown or revoked API key (send Authorization: Bearer <key>)",
            code: "UNAUTHORIZED",
          });
        if (!can(actor.role, spec.permission)) {
          return errorJson(403, {
            error: `this key's role (${actor.role}) lacks the permission ${spec.permission}`,
            code: "FORBIDDEN",
          });
        }
        const parts: Record<"params" | "query" | "body", unknown> = {
          params: undefined,
          query: undefined,
          body: undefined,
        };
        if (spec.params) parts.params = (await next?.params) ?? {};
        if (spec.query) parts.query = queryObject(new URL(req.url));
        if (spec.body) {
          const raw = await readJson(req, spec.bodyLimit ?? REST_BODY_LIMIT);
          if (!raw.ok) return errorJson(raw.status, { error: raw.error, code: raw.code });
          parts.body = raw.value;
        }
        // One text check over everything the caller sent (PostgreSQL refuses NUL; a lone surrogate cannot be stored).
        for (const k of ["params", "query", "body"] as const) {
          const bad = findBadText(parts[k]);
          if (bad) return errorJson(400, { error: badTextMessage(bad), code: "BAD_REQUEST", field: bad.path });
        }
        const parsed: Record<string, unknown> = {};
        for (const k of ["params", "query", "body"] as const) {
          const schema = spec[k];
          if (!schema) continue;
          const r = schema.safeParse(parts[k]);
          if (!r.success) {
            // Params are named as the path does ("id: ..."); query and body by their fields.
            const d = describeZodIssues(r.error);
            return errorJson(400, { error: d.message, code: "BAD_REQUEST", ...(d.field && { field: d.field }) });
          }
          parsed[k] = r.data;
        }
        const ctx = { req, db, actor, params: parsed.params, query: parsed.query, body: parsed.body } as RouteContext<
          Out<P>,
          Out<Q>,
          Out<B>
        >;
        const out = await spec.handler(ctx);
        // A handler that must answer another success status (an idempotent replay: 200, not 201) returns its Response.
        return out instanceof Response ? out : jsonBody(out, spec.status ?? 200);
      } catch (err) {
        return errorResponse(err);
      }
    });
  const { handler: _handler, ...doc } = spec;
  return { ...(doc as Omit<Route, "handle">), handle };
}
