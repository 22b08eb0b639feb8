import { z } from "zod";
import type { Route } from "./route";
import { restRoutes } from "./routes";
import { REST_BODY_LIMIT } from "@/server/security/limits";
import { errorSchema } from "./schemas";

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what a client SENDS: defaults optional, transforms ignored. */
function inputSchema(s: z.ZodType): JsonSchema {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
}
function outputSchema(s: z.ZodType): JsonSchema {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io: "output", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Path and query parameters, one per property of the zod object. */
function parameters(where: "path" | "query", s: z.ZodType | undefined): JsonSchema[] {
  if (!s) return [];
  const js = inputSchema(s) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: where,
      required: where === "path" || (js.required ?? []).includes(name),
      schema: rest,
      ...(typeof description === "string" && { description }),
    };
  });
}

const errorRef = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

function operation(r: Route): JsonSchema {
  const ok = String(r.status ?? 200);
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description && { description: r.description }),
    tags: [r.tag],
    "x-wflo-permission": r.permission,
    parameters: [...parameters("path", r.params), ...parameters("query", r.query)],
    ...(r.body && {
      requestBody: { required: true, content: { "application/json": { schema: inputSchema(r.body) } } },
    }),
    responses: {
      [ok]: {
        description: r.response.description,
        content: {
          "application/json": { schema: r.response.schema ? outputSchema(r.response.schema) : { type: "object" } },
        },
      },
      "400": errorRef("The input fails its schema; `error` names the field and the rule"),
      "401": errorRef("Missing, unknown or revoked API key"),
      "403": errorRef(
        `The key's role lacks the permission ${r.permission}, or (acting on a run, approval or LLM call) its workflow is outside the key's workflow scope`,
      ),
      ...(r.body && {
        "413": errorRef(
          `The body exceeds ${(r.bodyLimit ?? REST_BODY_LIMIT).bytes} bytes (${(r.bodyLimit ?? REST_BODY_LIMIT).env})`,
        ),
      }),
      ...Object.fromEntries(Object.entries(r.errors ?? {}).map(([status, d]) => [status, errorRef(d)])),
      "500": errorRef("Internal server error (details stay in the server log)"),
    },
  };
}

/** The OpenAPI 3.1 document of /api/v1, built from the same zod schemas the routes parse with. */
export function openApiDocument(routes: readonly Route[] = restRoutes): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: "3.1.0",
    info: {
      title: "wflo REST API",
      version: "1",
      description:
        "Trigger and inspect runs, decide approvals, read budgets, and record LLM calls made outside wflo. Authenticate with an API key an admin created in Settings → API keys: `Authorization: Bearer wflo_...`. The key's role decides what it may call (`x-wflo-permission` on each operation); a key limited to some workflows sees only their runs, approvals and LLM calls (others answer 404) and cannot act on others (403). Money is in nano-dollars (1e-9 USD) as decimal strings.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ apiKey: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "A wflo API key (wflo_...)" } },
      schemas: { Error: outputSchema(errorSchema) },
    },
  };
}
