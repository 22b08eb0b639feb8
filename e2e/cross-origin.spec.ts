import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_PORT } from "../playwright.config";
import { createUser, signIn, signOut } from "./helpers";

/**
 * Issue 13, findings 1, 3 and 10 from the browser's side: a page on ANOTHER origin, opened by a
 * signed-in approver, tries to decide a pending high-risk approval with the approver's cookies and
 * to frame the approvals page. It is served from localhost on another port: a different origin
 * but the SAME site, so the panel's SameSite=Lax session cookie does travel with its requests;
 * only the panel's own checks (engine event keys, CSRF on tRPC mutations, frame-ancestors) stop it.
 */

const ENGINE = `http://127.0.0.1:${process.env.WFLO_E2E_ENGINE_PORT ?? "8388"}`;
const PANEL = `http://localhost:${E2E_PORT}`;
const stamp = Date.now();
const APPROVER = { email: `victim-approver-${stamp}@e2e.test`, password: "victim approver password 42" };

/** The attacker's page: every forgery it tries, then `window.__done` with what it could observe. */
function attackerPage(approvalId: string): string {
  const decided = {
    name: "wflo/approval.decided",
    data: { approvalId, status: "approved", decidedBy: "ceo@example.com", decision: "approve" },
  };
  const trpcInput = { json: { approvalId, decision: "approve", comment: "forged" } };
  return `<!doctype html><html><body>
<h1>Totally harmless page</h1>
<iframe id="victim" name="victim" src="${PANEL}/approvals" width="800" height="400"></iframe>
<iframe id="sink" name="sink"></iframe>
<form id="form-text" method="POST" target="sink" enctype="text/plain" action="${PANEL}/api/trpc/approvals.decide">
  <input type="hidden" name='${JSON.stringify(trpcInput).slice(0, -2)},"pad":"' value='"}}'>
</form>
<form id="form-url" method="POST" target="sink" action="${PANEL}/api/trpc/approvals.decide">
  <input type="hidden" name="approvalId" value="${approvalId}"><input type="hidden" name="decision" value="approve">
</form>
<script>
(async () => {
  const results = {};
  const attempt = async (name, fn) => { try { const r = await fn(); results[name] = r ? r.type + ":" + r.status : "sent"; } catch (e) { results[name] = "blocked: " + e.message; } };
  // (a) the engine's intake, as text/plain (a "simple" request: no preflight).
  await attempt("engine", () => fetch(${JSON.stringify(`${ENGINE}/e/x`)}, { method: "POST", mode: "no-cors", body: ${JSON.stringify(JSON.stringify(decided))} }));
  // (b) the panel's tRPC mutation with the approver's cookies: text/plain, multipart, and JSON (needs a preflight).
  await attempt("trpc-text", () => fetch(${JSON.stringify(`${PANEL}/api/trpc/approvals.decide`)}, { method: "POST", mode: "no-cors", credentials: "include", body: ${JSON.stringify(JSON.stringify(trpcInput))} }));
  const fd = new FormData(); fd.set("approvalId", ${JSON.stringify(approvalId)}); fd.set("decision", "approve");
  await attempt("trpc-multipart", () => fetch(${JSON.stringify(`${PANEL}/api/trpc/approvals.decide`)}, { method: "POST", mode: "no-cors", credentials: "include", body: fd }));
  await attempt("trpc-json", () => fetch(${JSON.stringify(`${PANEL}/api/trpc/approvals.decide`)}, { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body: ${JSON.stringify(JSON.stringify(trpcInput))} }));
  // Real form posts (the classic CSRF), into a hidden frame.
  for (const id of ["form-text", "form-url"]) {
    await new Promise((done) => { const sink = document.getElementById("sink"); sink.onload = done; setTimeout(done, 5000); document.getElementById(id).submit(); });
  }
  window.__results = results;
  window.__done = true;
})();
</script></body></html>`;
}

let attacker: Server;
test.afterAll(async () => new Promise<void>((r) => (attacker ? attacker.close(() => r()) : r())));

test("a page on another origin cannot decide an approval with the approver's cookies, through the engine or tRPC, nor frame the panel", async ({
  page,
}) => {
  test.setTimeout(120_000);
  // A pending high-risk approval, triggered by the admin; the victim is an approver who may decide it.
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, APPROVER, "approver");
  await page.goto("/workflows/cleanup-records");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  const runUrl = page.url();
  await expect(page.getByTestId("run-status").first()).toHaveText("waiting for event", { timeout: 30_000 });
  await signOut(page);

  await signIn(page, APPROVER.email, APPROVER.password);
  await page.goto(runUrl);
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: /Approvals/ })
    .click();
  const row = page.getByTestId("approval-row-delete-old-records").first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/approvals\/[0-9a-f-]{36}$/);
  const approvalUrl = page.url();
  const approvalId = approvalUrl.split("/").pop()!;
  await expect(page.getByTestId("approval-status")).toHaveText("pending");

  // The attacker's page, on localhost:<another port>: another origin, the same site.
  attacker = createServer((_req, res) =>
    res.writeHead(200, { "content-type": "text/html" }).end(attackerPage(approvalId)),
  );
  await new Promise<void>((r) => attacker.listen(0, "localhost", () => r()));
  const evil = `http://localhost:${(attacker.address() as AddressInfo).port}/`;

  // (c) the frame: the panel's answer forbids framing, and the browser refuses to render it.
  const framed = page.waitForResponse((r) => r.url() === `${PANEL}/approvals`);
  await page.goto(evil);
  const framedHeaders = (await framed).headers();
  expect(framedHeaders["x-frame-options"]).toBe("DENY");
  expect(framedHeaders["content-security-policy"]).toContain("frame-ancestors 'none'");
  await page.waitForFunction(() => (window as unknown as { __done?: boolean }).__done === true, undefined, {
    timeout: 60_000,
  });
  const results = await page.evaluate(() => (window as unknown as { __results: Record<string, string> }).__results);
  // The JSON fetch needs a CORS preflight the panel never grants: the browser blocks it outright.
  expect(results["trpc-json"]).toMatch(/^blocked/);
  const victim = page.frameLocator("#victim");
  await expect(victim.getByTestId("approval-row-delete-old-records")).toHaveCount(0);
  await expect(victim.getByRole("navigation", { name: "Main" })).toHaveCount(0);

  // Nothing was decided: the approval is still pending with no decision, and the run still waits.
  await page.goto(approvalUrl);
  await expect(page.getByTestId("approval-status")).toHaveText("pending");
  await expect(page.getByText("forged")).toHaveCount(0);
  await expect(page.getByText("ceo@example.com")).toHaveCount(0);
  await page.goto(runUrl);
  await expect(page.getByTestId("run-status").first()).toHaveText("waiting for event");

  // The panel's own page still decides (same origin, JSON): the approver rejects, and the run moves on.
  await page.goto(approvalUrl);
  await page.getByLabel(/Comment/).fill("Not today");
  await page.getByRole("button", { name: "Reject" }).click();
  await expect(page.getByTestId("approval-status")).toHaveText("rejected");
});
