import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { createUser, signIn, signOut } from "./helpers";

const stamp = Date.now();
const APPROVER = { email: `approver-${stamp}@e2e.test`, password: "approver password 42" };
const VIEWER = { email: `viewer-${stamp}@e2e.test`, password: "viewer password 42" };

async function openGate(page: Page) {
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: /Approvals/ })
    .click();
  const row = page.getByTestId("approval-row-delete-old-records").first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.getByRole("link").first().click();
  await expect(page).toHaveURL(/\/approvals\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("approval-action")).toContainText("Delete");
}

test("a run waits at a high-risk gate; its trigger user and a viewer cannot approve; an approver approves in the browser and the run completes", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, APPROVER, "approver");
  await createUser(page, VIEWER, "viewer");

  // The admin starts the demo: the snapshot step is auto-approved by policy, the delete waits.
  await page.goto("/workflows/cleanup-records");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });
  const runUrl = page.url();
  await expect(page.getByTestId("run-status").first()).toHaveText("waiting for event", { timeout: 30_000 });
  await expect(page.getByTestId("approvals-pending")).toBeVisible();

  // The trigger user cannot approve their own high-risk gate: the server says why.
  await openGate(page);
  await expect(page.getByText("You started this run; another approver must approve it.")).toBeVisible();
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(
    page.getByText("you started this run, so you cannot approve its own high-risk gate; another approver must"),
  ).toBeVisible();
  const approvalUrl = page.url();
  const approvalId = approvalUrl.split("/").pop()!;
  await signOut(page);

  // A viewer sees the queue and the request, but no decision form; a direct call is refused.
  await signIn(page, VIEWER.email, VIEWER.password);
  await openGate(page);
  await expect(page.getByTestId("read-only-note")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  // Same-origin (as the panel's own page would send it), so the answer is the permission check, not the CSRF one.
  const direct = await page.request.post("/api/trpc/approvals.decide?batch=1", {
    headers: { origin: new URL(page.url()).origin },
    data: { 0: { json: { approvalId, decision: "approve", comment: "sneaky" } } },
  });
  expect(direct.status()).toBe(403);
  expect(JSON.stringify(await direct.json())).toContain("your role (viewer) lacks the permission approvals:decide");
  await signOut(page);

  // The approver decides with a comment; the run resumes and completes.
  await signIn(page, APPROVER.email, APPROVER.password);
  await openGate(page);
  await expect(page.getByTestId("approval-diff")).toBeVisible();
  await page.getByLabel(/Comment/).fill("Snapshot verified, go ahead");
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByTestId("approval-status")).toHaveText("approved");
  await expect(page.getByTestId("approval-outcome")).toContainText(APPROVER.email);
  await expect(page.getByTestId("approval-outcome")).toContainText("Snapshot verified, go ahead");

  await page.goto(runUrl);
  await expect(page.getByTestId("run-status").first()).toHaveText("completed", { timeout: 30_000 });

  await page.goto("/approvals?view=history");
  await expect(page.getByTestId("approval-row-delete-old-records").first()).toContainText("approved");
  await expect(page.getByTestId("approval-row-snapshot-table").first()).toContainText("auto-approved");
});
