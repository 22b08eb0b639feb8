import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn, signOut } from "./helpers";

test("an admin creates a viewer, who signs in but cannot reach user admin", async ({ page }) => {
  const email = `viewer-${Date.now()}@e2e.test`;
  const password = "viewer password 42";

  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/settings/users");
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();

  // Bad input first: the server's message for the field shows beside it, and nothing is created.
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText("password must be at least 12 characters")).toBeVisible();
  await expect(page.getByTestId(`user-row-${email}`)).toHaveCount(0);

  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Name").fill("Vera Viewer");
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId(`user-row-${email}`)).toBeVisible();
  await expect(page.getByText(`Created ${email}`)).toBeVisible();

  // The same email again is refused with a clear message.
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`a user with email ${email} already exists`)).toBeVisible();
  await signOut(page);

  await signIn(page, email, password);
  await expect(page.getByTestId("current-role")).toHaveText("viewer");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("link", { name: /Manage users/ })).toHaveCount(0);

  // Typing the address is refused by the server, not just hidden.
  const res = await page.goto("/settings/users");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();
  const api = await page.request.get("/api/trpc/users.list");
  expect(api.status()).toBe(403);
  expect(JSON.stringify(await api.json())).toContain("lacks the permission users:read");
});

test("a deactivated user can no longer sign in", async ({ page, browser }) => {
  const email = `leaver-${Date.now()}@e2e.test`;
  const password = "leaver password 42";
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/settings/users");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create user" }).click();
  const row = page.getByTestId(`user-row-${email}`);
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: "Deactivate" }).click();
  await expect(row.getByText("deactivated")).toBeVisible();

  const other = await browser.newPage();
  await other.goto("/signin");
  await other.getByLabel("Email").fill(email);
  await other.getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other.locator("#signin-error")).toHaveText("Wrong email or password");
  await other.close();
});
