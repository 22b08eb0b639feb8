import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "./callback-url";
import { getAuthOptions } from "./options";

/** Finding 7: after a correct sign-in the browser goes only to a path on this origin. */
const OFF_SITE = [
  "//evil.example/phish",
  "/\\evil.example",
  "\\\\evil.example",
  "/\t/evil.example",
  "/%5Cevil.example",
  "https://evil.example",
  "http:evil.example",
  "javascript:alert(1)",
  "data:text/html,hi",
  " /runs",
  "runs",
  "",
];

describe("callback URLs", () => {
  it("keeps same-origin paths (with query and hash)", () => {
    expect(safeCallbackPath("/runs")).toBe("/runs");
    expect(safeCallbackPath("/runs/abc?tab=steps#s1")).toBe("/runs/abc?tab=steps#s1");
    expect(safeCallbackPath("/")).toBe("/");
  });

  it.each(OFF_SITE)("refuses %j for the sign-in page (falls back to /)", (url) => {
    expect(safeCallbackPath(url)).toBe("/");
  });

  it("refuses a missing or repeated parameter", () => {
    expect(safeCallbackPath(undefined)).toBe("/");
    expect(safeCallbackPath(null)).toBe("/");
    expect(safeCallbackPath(["/runs", "//evil.example"])).toBe("/");
  });

  const redirect = (url: string) => getAuthOptions().callbacks!.redirect!({ url, baseUrl: "http://panel.test:3000" });

  it.each(OFF_SITE)("refuses %j in NextAuth's redirect callback", async (url) => {
    expect(await redirect(url)).toBe("http://panel.test:3000/");
  });

  it("lets NextAuth redirect to its own origin's paths, relative or absolute", async () => {
    expect(await redirect("/approvals?x=1")).toBe("http://panel.test:3000/approvals?x=1");
    expect(await redirect("http://panel.test:3000/runs/1")).toBe("http://panel.test:3000/runs/1");
    expect(await redirect("http://panel.test:3000//evil.example")).toBe("http://panel.test:3000/");
    expect(await redirect("http://panel.test:4000/runs")).toBe("http://panel.test:3000/");
  });
});
