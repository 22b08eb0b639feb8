import { describe, expect, it } from "vitest";
import { csrfProblem, panelOrigins } from "./csrf";

/** The rule itself, case by case (the HTTP behaviour is in server/api/http.test.ts). */
const req = (headers: Record<string, string>, url = "http://panel.test:3000/api/trpc/x") =>
  new Request(url, { method: "POST", headers });
const json = { "content-type": "application/json" };

describe("csrfProblem", () => {
  it("accepts the panel's own origin, its Host, and the configured public URL behind a proxy", () => {
    expect(csrfProblem(req({ ...json, origin: "http://panel.test:3000" }))).toBeNull();
    expect(csrfProblem(req({ ...json, origin: "http://PANEL.test:3000" }))).toBeNull();
    const behindProxy = req({ ...json, origin: "https://wflo.example.com" }, "http://10.0.0.5:3000/api/trpc/x");
    expect(csrfProblem(behindProxy, panelOrigins(behindProxy, "https://wflo.example.com/"))).toBeNull();
    expect(
      csrfProblem(req({ "content-type": "application/json; charset=utf-8", "sec-fetch-site": "none" })),
    ).toBeNull();
  });

  it("refuses other origins, an opaque origin, another port or scheme, and same-site-but-not-same-origin", () => {
    expect(csrfProblem(req({ ...json, origin: "null" }))).toBe(
      "cross-site request refused: Origin null is not this panel's origin",
    );
    expect(csrfProblem(req({ ...json, origin: "http://panel.test:3001" }))).toContain("is not this panel's origin");
    expect(csrfProblem(req({ ...json, origin: "https://panel.test:3000" }))).toContain("is not this panel's origin");
    expect(csrfProblem(req({ ...json, "sec-fetch-site": "same-site" }))).toBe(
      "cross-site request refused: Sec-Fetch-Site is same-site, a mutation must come from the panel's own pages",
    );
  });

  it("refuses every body a cross-site form can send, naming the type, before looking at the origin", () => {
    for (const type of [
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
    ]) {
      expect(csrfProblem(req({ "content-type": type, origin: "http://panel.test:3000" }))).toBe(
        `cross-site request refused: a mutation must be sent as Content-Type: application/json (got ${type.split(";")[0]})`,
      );
    }
    expect(csrfProblem(req({ origin: "http://panel.test:3000" }))).toContain("(got none)");
  });
});
