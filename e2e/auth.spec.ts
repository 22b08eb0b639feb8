import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn, signOut } from "./helpers";

test("a wrong password shows an error and does not sign in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
  await page.getByLabel("Email").fill(E2E_ADMIN.email);
  await page.getByLabel("Password").fill("definitely not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.locator("#signin-error")).toHaveText("Wrong email or password");
  await page.goto("/");
  await expect(page).toHaveURL(/\/signin/);
});

test("the admin signs in, sees every section, and signs out", async ({ page }) => {
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const item of ["Dashboard", "Runs", "Approvals", "Budgets", "Policies", "Workflows", "Audit", "Settings"]) {
    await expect(nav.getByRole("link", { name: item })).toBeVisible();
  }
  for (const [item, heading] of [
    ["Runs", "Runs"],
    ["Approvals", "Approvals"],
    ["Budgets", "Budgets"],
    ["Policies", "Policies"],
    ["Workflows", "Workflows"],
    ["Audit", "Audit log"],
    ["Settings", "Settings"],
  ] as const) {
    await nav.getByRole("link", { name: item }).click();
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  }
  await signOut(page);
  await page.goto("/settings/users");
  await expect(page).toHaveURL(/\/signin/);
});
