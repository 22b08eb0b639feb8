import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn } from "./helpers";

/** The engine the e2e server runs (playwright.config.ts WFLO_ENGINE_PORT). */
const ENGINE = `http://127.0.0.1:${process.env.WFLO_E2E_ENGINE_PORT ?? "8388"}`;

/**
 * Issue 13, finding 3, in the browser: an outside sender with an event key posts a run whose
 * `_wflo` envelope names the admin. wflo did not sign that envelope, so the runs list and the run
 * page show the run as "event key <name>", never as the admin; a run the admin starts from the
 * form is still theirs.
 */
test("a run sent with a forged envelope is shown as its event key, a run from the form as its user", async ({
  page,
}) => {
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/settings/event-keys");
  const name = `relay-${Date.now()}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create event key" }).click();
  const key = (await page.getByTestId("new-event-key").textContent())?.trim() ?? "";
  expect(key).toMatch(/^wflo-ek-/);

  const forged = {
    name: "demo/hello.requested",
    data: { name: "Mallory", _wflo: { triggeredBy: { id: null, email: E2E_ADMIN.email } } },
  };
  const sent = await page.request.post(`${ENGINE}/e/${key}`, {
    headers: { "content-type": "application/json" },
    data: JSON.stringify(forged),
  });
  expect(sent.status()).toBe(200);

  // The runs list, filtered by the key's name, shows the run as the key's.
  await page.goto(`/runs?by=${encodeURIComponent(name)}`);
  const row = page.locator('[data-testid^="run-row-"]').first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.getByTestId("run-triggered-by")).toHaveText(`event key ${name}`);
  await expect(row).not.toContainText(E2E_ADMIN.email);

  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/);
  await expect(page.getByTestId("run-triggered-by")).toHaveText(`event key ${name}`);
  await expect(page.getByTestId("run-status").first()).toHaveText("completed", { timeout: 30_000 });

  // The same workflow from the form: signed by wflo, attributed to the admin.
  await page.goto("/workflows/hello");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  await expect(page.getByTestId("run-triggered-by")).toHaveText(E2E_ADMIN.email);
});
