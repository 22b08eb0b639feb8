import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_ENGINE_PORT } from "../playwright.config";
import { createUser, signIn, signOut } from "./helpers";

/** The engine the e2e server runs (playwright.config.ts WFLO_ENGINE_PORT). */
const ENGINE = `http://127.0.0.1:${E2E_ENGINE_PORT}`;

test("an admin creates an event key, an outside sender uses it, and revoking it stops it at once", async ({ page }) => {
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/settings");
  await page.getByRole("link", { name: /Manage event keys/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Event keys" })).toBeVisible();

  const name = `partner-${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create event key" }).click();
  const key = (await page.getByTestId("new-event-key").textContent())?.trim() ?? "";
  expect(key).toMatch(/^wflo-ek-/);
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText(`${key.slice(0, 12)}…${key.slice(-4)}`);
  // Shown once: after a reload only the prefix and last four remain.
  await page.reload();
  await expect(page.getByTestId("new-event-key")).toHaveCount(0);
  await expect(page.getByText(key)).toHaveCount(0);

  const send = (k: string, contentType = "application/json") =>
    page.request.post(`${ENGINE}/e/${k}`, {
      headers: { "content-type": contentType },
      data: JSON.stringify({ name: "e2e/ping", data: { from: "partner" } }),
    });
  expect((await send(key)).status()).toBe(200);
  expect((await send(key, "text/plain")).status()).toBe(415);
  expect((await send("not-a-key")).status()).toBe(401);
  const reserved = await page.request.post(`${ENGINE}/e/${key}`, {
    headers: { "content-type": "application/json" },
    data: JSON.stringify({ name: "wflo/approval.decided", data: { approvalId: "x" } }),
  });
  expect(reserved.status()).toBe(403);

  page.once("dialog", (d) => void d.accept());
  await page
    .getByRole("row", { name: new RegExp(name) })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(page.getByRole("row", { name: new RegExp(name) })).toContainText("revoked");
  const after = await send(key);
  expect(after.status()).toBe(401);
  expect(JSON.stringify(await after.json())).toContain("revoked");
});

test("only admins reach event keys", async ({ page }) => {
  const operator = { email: `operator-ek-${Date.now()}@e2e.test`, password: "operator password 42" };
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, operator, "operator");
  await signOut(page);
  await signIn(page, operator.email, operator.password);
  await page.goto("/settings");
  await expect(page.getByRole("link", { name: /Manage event keys/ })).toHaveCount(0);
  expect((await page.goto("/settings/event-keys"))?.status()).toBe(403);
  const api = await page.request.get("/api/trpc/eventKeys.list");
  expect(api.status()).toBe(403);
});
