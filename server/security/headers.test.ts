import path from "node:path";
import { describe, expect, it } from "vitest";
import { docsPage } from "@/server/rest/docs-page";
import { contentSecurityPolicy } from "./headers.mjs";

/**
 * Issue 13, finding 10: no X-Frame-Options or CSP, so another page could frame /approvals and
 * have an approver click through it. The headers come from next.config.mjs `headers()`; this
 * reads the very config Next serves with, not a copy.
 */

type Rule = { source: string; headers: { key: string; value: string }[] };
async function nextHeaderRules(): Promise<Rule[]> {
  // By path, not by name: next.config.mjs is plain JavaScript that TypeScript does not type.
  const file = path.resolve(import.meta.dirname, "../../next.config.mjs");
  const config = ((await import(/* @vite-ignore */ file)) as { default: { headers?: () => Promise<Rule[]> } }).default;
  return (await config.headers?.()) ?? [];
}

const csp = (value: string) =>
  new Map(
    value
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k!, v]),
  );

describe("security headers", () => {
  it("are set on every path, pages and API routes alike", async () => {
    const rules = await nextHeaderRules();
    const everywhere = rules.find((r) => r.source === "/:path*");
    expect(everywhere, "a rule for /:path*").toBeDefined();
    const h = Object.fromEntries(everywhere!.headers.map((x) => [x.key.toLowerCase(), x.value]));
    expect(h["x-frame-options"]).toBe("DENY");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    const policy = csp(h["content-security-policy"] ?? "");
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("default-src")).toEqual(["'self'"]);
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
  });

  it("allow no other origin to run script or be connected to in production", () => {
    const policy = csp(contentSecurityPolicy());
    for (const d of ["script-src", "connect-src", "style-src", "img-src", "font-src"]) {
      for (const source of policy.get(d) ?? [])
        expect(source, `${d} ${source}`).toMatch(/^('self'|'unsafe-inline'|data:|blob:)$/);
    }
    expect(policy.get("script-src")).not.toContain("'unsafe-eval'");
    expect(csp(contentSecurityPolicy({ dev: true })).get("script-src")).toContain("'unsafe-eval'");
  });

  it("leave the API docs page working: it loads nothing from elsewhere", () => {
    const html = docsPage();
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
  });
});
