import { test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn } from "./helpers";

// Pictures of the main pages in both themes, kept under .wflo/screenshots for people to look at.
for (const theme of ["light", "dark"] as const) {
  test(`screenshots (${theme})`, async ({ page, context, baseURL }) => {
    await context.addCookies([{ name: "wflo-theme", value: theme, url: baseURL! }]);
    await page.setViewportSize({ width: 1400, height: 900 });
    await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
    await page.screenshot({ path: `.wflo/screenshots/dashboard-${theme}.png`, fullPage: true });
    await page.goto("/settings/users");
    await page.getByRole("heading", { level: 1, name: "Users" }).waitFor();
    await page.screenshot({ path: `.wflo/screenshots/users-${theme}.png`, fullPage: true });
    await page.goto("/audit");
    await page.getByRole("heading", { level: 1, name: "Audit log" }).waitFor();
    await page.screenshot({ path: `.wflo/screenshots/audit-${theme}.png`, fullPage: true });
  });
}
