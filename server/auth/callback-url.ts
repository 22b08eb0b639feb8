/**
 * Where the browser may go after signing in: a path on this origin, never another site.
 * `//evil.example`, `/\evil.example` and `/<TAB>/evil.example` all start with "/" yet browsers
 * read them as another host (backslashes count as slashes, tabs and newlines are dropped), so a
 * "starts with /" check is not enough. Used by the sign-in page and by NextAuth's redirect callback.
 */
const PROBE_ORIGIN = "http://wflo.invalid";

// Backslashes and C0 controls (which browsers strip or turn into "/") anywhere, raw or decoded once.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's job.
const UNSAFE_CHARS = /[\\\u0000-\u001f\u007f]/;

function looksLikePath(p: string): boolean {
  if (!p.startsWith("/") || p.startsWith("//") || UNSAFE_CHARS.test(p)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    return false;
  }
  return !decoded.startsWith("//") && !UNSAFE_CHARS.test(decoded);
}

/** A same-origin path ("/runs?x=1#y") from a callbackUrl parameter, or "/" for anything else. */
export function safeCallbackPath(raw: unknown): string {
  if (typeof raw !== "string" || !looksLikePath(raw)) return "/";
  const url = new URL(raw, PROBE_ORIGIN);
  if (url.origin !== PROBE_ORIGIN) return "/";
  return url.pathname + url.search + url.hash;
}

/** NextAuth's `redirect` callback: a path, or an absolute URL of the panel's own origin; else the panel's root. */
export function safeRedirect(url: string, baseUrl: string): string {
  const base = new URL(baseUrl);
  let path: string | null = url;
  if (!url.startsWith("/")) {
    try {
      const absolute = new URL(url);
      path = absolute.origin === base.origin ? absolute.pathname + absolute.search + absolute.hash : null;
    } catch {
      path = null;
    }
  }
  return base.origin + safeCallbackPath(path);
}
