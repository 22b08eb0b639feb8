import { docsPage } from "@/server/rest/docs-page";

/** The browsable API reference (self-contained: renders the embedded OpenAPI document, downloads nothing). */
export function GET(): Response {
  return new Response(docsPage(), { headers: { "content-type": "text/html; charset=utf-8" } });
}
