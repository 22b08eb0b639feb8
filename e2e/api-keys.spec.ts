import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { createUser, signIn } from "./helpers";

/**
 * Issue 13 (finding 8, keys): an API key acts for its creator. When the creator is deactivated
 * the key stops working (403 naming why) and Settings → API keys shows it inactive.
 */
test("a deactivated admin's API key is refused and shown as inactive (creator deactivated)", async ({
  page,
  browser,
}) => {
  const who = { email: `key-owner-${Date.now()}@e2e.test`, password: "key owner password 42" };
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, who, "admin");

  // The new admin creates a key in their own session.
  const owner = await browser.newPage();
  await signIn(owner, who.email, who.password);
  await owner.goto("/settings/api-keys");
  const name = `owner bot ${Date.now()}`;
  await owner.getByLabel("Name").fill(name);
  await owner.getByLabel("Role").selectOption("approver");
  await owner.getByRole("button", { name: "Create key" }).click();
  const secret = (await owner.getByTestId("new-api-key").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^wflo_/);
  await owner.close();

  const list = () => page.request.get("/api/v1/approvals", { headers: { authorization: `Bearer ${secret}` } });
  expect((await list()).status()).toBe(200);

  await page.goto("/settings/users");
  const row = page.getByTestId(`user-row-${who.email}`);
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row.getByText("deactivated")).toBeVisible();

  const refused = await list();
  expect(refused.status()).toBe(403);
  expect(((await refused.json()) as { error: string }).error).toBe(
    `this API key's creator ${who.email} is deactivated; a key acts for its creator and stops working with them`,
  );

  await page.goto("/settings/api-keys");
  const keyRow = page.getByRole("row").filter({ hasText: name });
  await expect(keyRow.getByTestId("key-inactive")).toContainText("inactive: creator deactivated");
});
