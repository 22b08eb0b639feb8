import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn } from "./helpers";

test("a run triggered from the web form shows its steps live, and can be cancelled", async ({ page }) => {
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("link", { name: "Run", exact: true }).first().waitFor();
  await page.goto("/workflows/research-assistant");

  // The form is generated from the workflow's zod schema; the server's rule shows under the field.
  await page.getByLabel(/Topic/).fill("ab");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page.getByText("topic must be at least 3 characters")).toBeVisible();

  await page.getByLabel(/Topic/).fill("Durable execution for AI agents");
  await page.getByLabel(/Feedback Timeout/).selectOption("10m");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });

  // Steps appear while the run executes: the plan, three parallel research calls, the draft,
  // then the pause and the wait for a reviewer's feedback.
  for (const step of ["plan", "research-1", "research-2", "research-3", "draft"]) {
    await expect(page.getByTestId(`step-${step}`)).toBeVisible({ timeout: 30_000 });
  }
  await expect(page.getByTestId("step-await-feedback")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("run-status").first()).toHaveText("waiting for event", { timeout: 30_000 });
  await expect(page.getByText("simulated").first()).toBeVisible();

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByTestId("run-status").first()).toHaveText("cancelled", { timeout: 30_000 });

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Runs" }).click();
  await expect(page.getByRole("cell", { name: /Research assistant/ }).first()).toBeVisible();
});
