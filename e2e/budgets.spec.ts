import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn } from "./helpers";

/**
 * Cost governance through the browser: an admin creates a workflow budget too small for the
 * research assistant's simulated calls, runs it, and sees the run stopped by the budget (scope,
 * spent, limit), the alert in the notifications, and the spend on the dashboard.
 */
const BUDGET = "Research cap (e2e)";

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `.wflo/screenshots/${name}.png`, fullPage: true });
}

test("a budget stops a run that would exceed it, and the panel says why", async ({ page, context, baseURL }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1400, height: 900 });
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await expect(page.getByTestId("spend-overview")).toBeVisible();
  await shot(page, "governance-dashboard-before");

  // Create the budget; bad input first: the server's rule shows under the field it names.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Budgets" }).click();
  await page.getByRole("button", { name: "New budget" }).click();
  const form = page.getByRole("form", { name: "New budget" });
  await form.getByLabel("Name").fill(BUDGET);
  await form.getByLabel("Workflow").selectOption("research-assistant");
  await form.getByLabel("Period").selectOption("day");
  await form.getByLabel("Limit (USD)").fill("-1");
  await form.getByLabel("Alert at (%)").fill("1, 80, 150");
  await form.getByRole("button", { name: "Create budget" }).click();
  await expect(form.getByText("limitUsd must not be negative")).toBeVisible();
  await expect(form.getByText("alert threshold must be at most 100 (%)")).toBeVisible();
  await form.getByLabel("Limit (USD)").fill("0.015");
  await form.getByLabel("Alert at (%)").fill("1, 80");
  await form.getByRole("button", { name: "Create budget" }).click();
  const row = page.getByTestId(`budget-row-${BUDGET}`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("$0.00 of $0.015");

  // Run the workflow with three parallel research calls: the budget cannot afford them all.
  await page.goto("/workflows/research-assistant");
  await page.getByLabel(/Topic/).fill("Budgets for AI agents");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  await expect(page.getByTestId("run-status").first()).toHaveText("failed", { timeout: 30_000 });
  const reason = page.getByTestId("run-stop-reason");
  await expect(reason).toBeVisible({ timeout: 15_000 });
  await expect(reason).toContainText("Stopped by budget");
  await expect(reason).toContainText("workflow: research-assistant (per day)");
  await expect(reason).toContainText("$0.015");
  await expect(page.getByTestId("run-cost-total")).not.toHaveText("$0.00");
  await expect(page.getByTestId("run-cost-panel")).toContainText("simulated");
  // No retries: a budget refusal is final.
  // The run's error (shown as JSON, quotes escaped) is the budget's message.
  await expect(
    page.getByText(/budget exceeded: workflow \\?"research-assistant\\?" per day limit \$0\.015/).first(),
  ).toBeVisible();
  await shot(page, "governance-run-stopped");

  // The alert: sidebar indicator and the notifications list, linking back to the run.
  const runUrl = page.url();
  await expect(page.getByTestId("notifications-unread")).toBeVisible({ timeout: 15_000 });
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: /Notifications/ })
    .click();
  const exceeded = page.getByTestId("notification").filter({ hasText: "Budget exceeded" });
  await expect(exceeded).toBeVisible();
  await expect(page.getByTestId("notification").filter({ hasText: "Budget threshold" }).first()).toBeVisible();
  await shot(page, "governance-notifications");
  await exceeded.getByRole("link", { name: "Open run" }).click();
  await expect(page).toHaveURL(runUrl);

  // The budget now shows the day's spend; the dashboard shows it too.
  await page.goto("/budgets");
  await expect(page.getByTestId(`budget-row-${BUDGET}`)).not.toContainText("$0.00 of");
  await shot(page, "governance-budgets");
  await page.goto("/models");
  await page.getByLabel("Search models").fill("gpt-4o-mini");
  await expect(page.getByText("openai/gpt-4o-mini").first()).toBeVisible();
  await shot(page, "governance-models");
  await page.goto("/");
  await expect(page.getByTestId("spend-today")).not.toHaveText("$0.00");
  await expect(page.getByTestId("top-workflows")).toContainText("research-assistant");
  await shot(page, "governance-dashboard-after");
  await context.addCookies([{ name: "wflo-theme", value: "dark", url: baseURL! }]);
  await page.reload();
  await expect(page.getByTestId("spend-today")).not.toHaveText("$0.00");
  await shot(page, "governance-dashboard-after-dark");
  await page.goto(runUrl);
  await expect(page.getByTestId("run-stop-reason")).toBeVisible();
  await shot(page, "governance-run-stopped-dark");
  await context.addCookies([{ name: "wflo-theme", value: "light", url: baseURL! }]);

  // Leave no budget behind for other specs that run the research assistant.
  await page.goto("/budgets");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId(`budget-row-${BUDGET}`).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId(`budget-row-${BUDGET}`)).toHaveCount(0);
});
