/**
 * Security headers on every answer the panel gives, pages and API alike (next.config.mjs
 * `headers()`). Plain JavaScript because next.config.mjs imports it; typed by headers.d.mts.
 *
 * The CSP is honest about what Next.js needs: its App Router writes inline <script> tags (the
 * RSC payload and bootstrap), so script-src allows 'unsafe-inline' rather than pretending with a
 * nonce we do not issue. What it does close: framing by anyone (frame-ancestors 'none', with
 * X-Frame-Options for older browsers), plugins, <base> hijacking, forms posting off-site, and
 * loading or connecting to any other origin. The API docs page is inline HTML with one inline
 * script and loads nothing from elsewhere, so it works under the same policy.
 */

/** @param {{ dev?: boolean }} [opts] */
export function contentSecurityPolicy(opts = {}) {
  const dev = opts.dev ?? false;
  const directives = {
    "default-src": ["'self'"],
    // 'unsafe-eval' only in development: React Refresh evaluates modules.
    "script-src": ["'self'", "'unsafe-inline'", ...(dev ? ["'unsafe-eval'"] : [])],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    // Development's hot reload talks over a WebSocket to the same host.
    "connect-src": ["'self'", ...(dev ? ["ws:", "wss:"] : [])],
    "frame-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(" ")}`)
    .join("; ");
}

/** @param {{ dev?: boolean }} [opts] @returns {{ key: string; value: string }[]} */
export function securityHeaders(opts = {}) {
  return [
    { key: "Content-Security-Policy", value: contentSecurityPolicy(opts) },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    // The panel uses none of these; a script injected into it should not either.
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  ];
}

/** The next.config `headers()` rules: every path, pages and API routes. */
export function headerRules(opts = {}) {
  return [{ source: "/:path*", headers: securityHeaders(opts) }];
}
