import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { signIn } from "./helpers";

test("a demo run's checkpoints are listed and diffed, and a fork from a checkpoint with edited state completes", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/workflows/research-assistant");
  await page.getByLabel(/Topic/).fill("Checkpoints for AI agents");
  await page.getByLabel(/Questions/).fill("1");
  await page.getByLabel(/Feedback Timeout/).selectOption("10m");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  const parentUrl = page.url();

  // The reviewer answers through the run page's "Send event" panel (its data is prefilled with the topic id).
  const send = page.getByTestId("send-event-panel");
  await expect(send).toBeVisible({ timeout: 30_000 });
  const data = JSON.parse(await send.getByLabel("Event data (JSON)").inputValue()) as Record<string, unknown>;
  await send.getByLabel("Event data (JSON)").fill(JSON.stringify({ ...data, comments: "Add a section on costs." }));
  await send.getByRole("button", { name: "Send" }).click();
  await expect(page.getByTestId("run-status").first()).toHaveText("completed", { timeout: 30_000 });

  // Checkpoints: plan v1, report v1 (draft), report v2 (reviewed); the diff shows what the review changed.
  const cps = page.getByTestId("checkpoints");
  for (const id of ["checkpoint-plan-v1", "checkpoint-report-v1", "checkpoint-report-v2"])
    await expect(cps.getByTestId(id)).toBeVisible();
  await cps.getByLabel("Compare").selectOption("report@1");
  await cps.getByLabel("with").selectOption("report@2");
  const diff = cps.getByTestId("checkpoint-diff");
  await expect(diff).toContainText("stage");
  await expect(diff).toContainText('"reviewed"');
  await expect(diff).toContainText('"Add a section on costs."');

  // Time travel: step back to the first step and see what the workflow knew then.
  const tt = page.getByTestId("time-travel");
  await tt.getByRole("slider", { name: "Step" }).fill("0");
  await expect(tt.getByTestId("time-travel-step")).toHaveText("plan");

  // Fork from report v2 with other reviewer comments: only finalize runs again.
  await cps.getByTestId("checkpoint-report-v2").getByRole("button", { name: "Fork from here" }).click();
  const form = page.getByTestId("fork-form");
  const state = JSON.parse(await form.getByLabel(/State/).inputValue()) as Record<string, unknown>;
  await form.getByLabel(/State/).fill(JSON.stringify({ ...state, feedback: "Make it much shorter." }));
  await form.getByRole("button", { name: "Start fork" }).click();
  await expect(page).not.toHaveURL(parentUrl, { timeout: 30_000 });
  await expect(page.getByTestId("run-status").first()).toHaveText("completed", { timeout: 60_000 });

  // The child shows its place in the fork tree and the edited checkpoint; reused steps made no LLM call.
  const tree = page.getByTestId("fork-tree");
  await expect(tree).toContainText("(this run)");
  await expect(tree).toContainText("from checkpoint report@2");
  await page.getByTestId("checkpoints").getByTestId("checkpoint-report-v2").getByRole("button").first().click();
  await expect(page.getByTestId("checkpoints")).toContainText("Make it much shorter.");
  await page.screenshot({ path: ".wflo/e2e-results/recovery-fork.png", fullPage: true });
});
