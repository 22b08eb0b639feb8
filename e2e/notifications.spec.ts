import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { createUser, signIn, signOut } from "./helpers";

/**
 * Issue 13, finding 10: notification read state is per user. A viewer's "Mark all read" used to
 * mark every notification read for everyone, hiding alerts from the admins; now it only clears
 * the viewer's own inbox.
 */
const stamp = Date.now();
const VIEWER = { email: `notes-viewer-${stamp}@e2e.test`, password: "viewer password 42" };

test("a viewer's mark-all-read leaves the admin's notifications unread", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, VIEWER, "viewer");

  // The demo cleanup waits at its high-risk gate, and asking for the approval notifies.
  await page.goto("/workflows/cleanup-records");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  const runUrl = page.url();
  await expect(page.getByTestId("approvals-pending")).toBeVisible({ timeout: 30_000 });
  await signOut(page);

  // The viewer sees it and marks everything read: the viewer's own badge goes.
  await signIn(page, VIEWER.email, VIEWER.password);
  await page.goto("/notifications");
  await expect(page.getByTestId("notification").filter({ hasText: "Approval needed" }).first()).toBeVisible({
    timeout: 15_000,
  });
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(page.getByRole("button", { name: "Mark all read" })).toHaveCount(0);
  await expect(page.getByTestId("notifications-unread")).toHaveCount(0);
  await signOut(page);

  // The admin's are still unread.
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await expect(page.getByTestId("notifications-unread")).toBeVisible({ timeout: 15_000 });
  await page.goto("/notifications");
  const note = page.getByTestId("notification").filter({ hasText: "Approval needed" }).first();
  await expect(note.getByRole("button", { name: "Mark read" })).toBeVisible();

  // Leave no pending gate behind for the approvals spec, which opens the first one in the queue.
  await page.goto(runUrl);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByTestId("run-status").first()).toHaveText("cancelled", { timeout: 30_000 });
});
