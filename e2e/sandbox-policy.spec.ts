import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { createUser, signIn, signOut } from "./helpers";

/**
 * A workflow's sandbox policy in the browser: an admin's bad wall-clock limit is refused with the
 * server's rule next to the field (and nothing is stored), a good one is saved, survives a
 * reload and is in the audit log; a viewer sees the policy but no form.
 */
const stamp = Date.now();
const VIEWER = { email: `sandbox-viewer-${stamp}@e2e.test`, password: "viewer password 42" };
// A value no earlier run of this spec left behind (the e2e data directory may be reused).
const WALL_MS = 20_000 + (stamp % 90_000);
const WORKFLOW = "data-analyst";

test("an admin edits a workflow's sandbox wall-clock limit (bad value refused, good one saved and audited); a viewer sees it read-only", async ({
  page,
}) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1400, height: 900 });
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await createUser(page, VIEWER, "viewer");

  await page.goto(`/workflows/${WORKFLOW}`);
  const card = page.getByTestId("sandbox-policy");
  await expect(card.getByRole("heading", { name: "Sandbox policy" })).toBeVisible();
  // Network is shown as off with the reason, never as a control.
  await expect(card.getByTestId("sandbox-network")).toContainText("off");
  await expect(card.getByTestId("sandbox-network")).toContainText("egress proxy");
  const before = (await card.getByTestId("sandbox-limit-timeoutMs").textContent()) ?? "";

  // A bad value: the server's rule shows under the field, and nothing is stored.
  await card.getByRole("button", { name: "Edit policy" }).click();
  const form = page.getByRole("form", { name: "Sandbox policy" });
  const wall = form.getByLabel("Wall clock default (ms)");
  await wall.fill("0");
  await form.getByRole("button", { name: "Save policy" }).click();
  await expect(form.getByText("defaults.timeoutMs must be positive")).toBeVisible();
  await expect(wall).toHaveAttribute("aria-invalid", "true");
  await page.reload();
  await expect(card.getByTestId("sandbox-limit-timeoutMs")).toHaveText(before);

  // A good value: saved, shown in the card, still there after a reload.
  await card.getByRole("button", { name: "Edit policy" }).click();
  await form.getByLabel("Wall clock default (ms)").fill(String(WALL_MS));
  await form.getByRole("button", { name: "Save policy" }).click();
  await expect(card.getByRole("status")).toContainText("Policy saved");
  await expect(form).toHaveCount(0);
  const shown = `${WALL_MS.toLocaleString("en-US")} ms`;
  await expect(card.getByTestId("sandbox-limit-timeoutMs")).toContainText(shown);
  await page.reload();
  await expect(card.getByTestId("sandbox-limit-timeoutMs")).toContainText(shown);
  await expect(card.getByText("custom", { exact: true })).toBeVisible();

  // The change is in the audit log, with the new limit.
  await page.goto("/audit");
  const row = page
    .getByRole("row")
    .filter({ hasText: "sandbox.policy_update" })
    .filter({ hasText: String(WALL_MS) });
  await expect(row.first()).toBeVisible();
  await expect(row.first()).toContainText(`workflow:${WORKFLOW.slice(0, 8)}`);
  await signOut(page);

  // A viewer sees the same policy, read-only: no Edit or Save, and a direct call is refused.
  await signIn(page, VIEWER.email, VIEWER.password);
  await page.goto(`/workflows/${WORKFLOW}`);
  await expect(card.getByTestId("sandbox-limit-timeoutMs")).toContainText(shown);
  await expect(card.getByTestId("sandbox-policy-read-only")).toBeVisible();
  await expect(card.getByRole("button", { name: "Edit policy" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Save policy" })).toHaveCount(0);
  // Same-origin (as the panel's own page would send it), so the answer is the permission check, not the CSRF one.
  const direct = await page.request.post("/api/trpc/sandbox.setPolicy?batch=1", {
    headers: { origin: new URL(page.url()).origin },
    data: { 0: { json: { workflowId: WORKFLOW } } },
  });
  expect(direct.status()).toBe(403);
  expect(JSON.stringify(await direct.json())).toContain("lacks the permission settings:manage");
});
