import { env } from "@/server/env";
/**
 * Cross-site request forgery checks for cookie-authenticated mutations (the panel's tRPC POSTs).
 * A browser attaches the session cookie to any request to the panel, whoever's page made it, so a
 * mutation must prove it came from the panel's own pages:
 *
 * - `Content-Type: application/json`. A cross-site HTML form can only send urlencoded, multipart
 *   or text/plain, and a cross-origin fetch with JSON needs a CORS preflight the panel never grants.
 * - a same-origin `Origin` header, or, when a browser sent none, `Sec-Fetch-Site: same-origin`
 *   (or `none`: typed by the user). A request with neither is refused: every current browser sends
 *   one of them on a POST, and callers that are not browsers use the REST API with a key.
 *
 * Pure: the caller passes the origins the panel is served on.
 */

/** The origins the panel answers on: the request's own (Host header) and the configured public URL. */
export function panelOrigins(req: Request, publicUrl: string | undefined = env.NEXTAUTH_URL): Set<string> {
  const out = new Set<string>();
  const url = new URL(req.url);
  out.add(url.origin);
  const host = req.headers.get("host");
  if (host) out.add(`${url.protocol}//${host}`.toLowerCase());
  if (publicUrl) {
    try {
      out.add(new URL(publicUrl).origin);
    } catch {
      // A malformed NEXTAUTH_URL is reported where auth reads it; here it simply adds nothing.
    }
  }
  return out;
}

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Why this mutation request must be refused (403), or null when it came from the panel's own pages. */
export function csrfProblem(req: Request, origins: Set<string> = panelOrigins(req)): string | null {
  const type = mediaType(req.headers.get("content-type"));
  if (type !== "application/json") {
    return `cross-site request refused: a mutation must be sent as Content-Type: application/json (got ${type ? type : "none"})`;
  }
  const origin = req.headers.get("origin");
  if (origin !== null) {
    if (origins.has(origin.toLowerCase())) return null;
    return `cross-site request refused: Origin ${origin === "null" ? "null" : origin} is not this panel's origin`;
  }
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin" || site === "none") return null;
  if (site)
    return `cross-site request refused: Sec-Fetch-Site is ${site}, a mutation must come from the panel's own pages`;
  return "cross-site request refused: a mutation must carry a same-origin Origin or Sec-Fetch-Site header";
}
