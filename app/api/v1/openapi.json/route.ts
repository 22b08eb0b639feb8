import { openApiDocument } from "@/server/rest/openapi";

/** The OpenAPI 3.1 document, public like any API reference (it holds no data). */
export function GET(): Response {
  return Response.json(openApiDocument());
}
