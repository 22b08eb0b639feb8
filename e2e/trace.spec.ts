import { expect, test } from "@playwright/test";
import { E2E_ADMIN } from "../playwright.config";
import { BIG_TRACE_SPANS, bigTrace } from "../server/tracing/testing/big-trace";
import { signIn } from "./helpers";

test("a finished demo run's trace: tree, waterfall, an LLM call's prompt, tokens and cost, search", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/workflows/research-assistant");
  await page.getByLabel(/Topic/).fill("Tracing durable agents");
  await page.getByLabel(/Questions/).fill("2");
  // The shortest feedback wait: nobody answers, so the run finishes on its own.
  await page.getByLabel(/Feedback Timeout/).selectOption("30s");
  await page.getByRole("button", { name: "Run workflow" }).click();
  await expect(page).toHaveURL(/\/runs\/[A-Z0-9]+/, { timeout: 30_000 });

  const explorer = page.getByTestId("trace-explorer");
  await expect(explorer).toBeVisible();
  // Live: spans appear while the run executes.
  await expect(explorer.getByTestId("span-llm").first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId("run-status").first()).toHaveText("completed", { timeout: 90_000 });
  await expect(explorer).not.toContainText("updates live");

  // The tree: the run, its steps, the calls inside them (plan, 2 research, draft, finalize).
  await expect(explorer.getByTestId("span-run")).toHaveCount(1);
  await expect(explorer.getByTestId("span-llm")).toHaveCount(5);
  await expect(explorer.getByTestId("span-checkpoint").first()).toBeVisible();

  // Expand an LLM call: its prompt messages, tokens and cost.
  await explorer.getByTestId("span-llm").first().click();
  const detail = explorer.getByTestId("span-detail");
  await expect(detail.getByTestId("llm-prompt")).toContainText(
    "You break research topics into focused, answerable sub-questions.",
  );
  await expect(detail.getByTestId("llm-prompt")).toContainText("Topic: Tracing durable agents");
  await expect(detail.getByTestId("llm-facts")).toContainText(/Input tokens\s*[1-9]/);
  await expect(detail.getByTestId("llm-facts")).toContainText(/Output tokens\s*[1-9]/);
  await expect(detail.getByTestId("llm-cost")).toHaveText(/^\$\d/);
  await expect(explorer.getByTestId("trace-summary")).toContainText("LLM calls5");

  // For people reviewing the UI: the explorer with an LLM call open, light and dark.
  await explorer.screenshot({ path: ".wflo/e2e-results/trace-explorer-light.png" });
  await page.context().addCookies([{ name: "wflo-theme", value: "dark", url: page.url() }]);
  await page.reload();
  await explorer.getByTestId("span-llm").first().click();
  await expect(detail.getByTestId("llm-prompt")).toBeVisible();
  await explorer.screenshot({ path: ".wflo/e2e-results/trace-explorer-dark.png" });

  // Search within the trace keeps matches and their path from the root.
  await explorer.getByLabel("Search spans").fill("draft");
  await expect(explorer.getByTestId("trace-row-count")).toHaveText(/^[1-9]\d* matching$/);
  await expect(explorer.getByTestId("span-step").filter({ hasText: "draft" }).first()).toBeVisible();
  await expect(explorer.getByTestId("span-step").filter({ hasText: "research-1" })).toHaveCount(0);
  await explorer.getByLabel("Search spans").fill("");

  // Filter by kind, and collapse a subtree.
  await explorer.getByLabel("Span kind").selectOption("llm");
  await expect(explorer.getByTestId("trace-row-count")).toHaveText("5 matching");
  await explorer.getByLabel("Span kind").selectOption("all");
  await explorer.getByRole("button", { name: /^Collapse research-assistant$/ }).click();
  await expect(explorer.getByTestId("span-step")).toHaveCount(0);
  await explorer.getByRole("button", { name: /^Expand research-assistant$/ }).click();
  await expect(explorer.getByTestId("span-step").first()).toBeVisible();
});

test("a 5,000-span trace sent over OTLP renders and is interactive fast", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, E2E_ADMIN.email, E2E_ADMIN.password);
  await page.goto("/settings/api-keys");
  await page.getByLabel("Name").fill("otel agent");
  await page.getByLabel("Role").selectOption("operator");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.getByTestId("new-api-key").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^wflo_/);

  // 50 agent spans under one root, 99 children each (every tenth a priced chat call): 5,000 spans.
  const traceId = Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join("");
  const body = bigTrace(traceId, "load-agent");
  expect(body.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(BIG_TRACE_SPANS);
  const res = await page.request.post("/api/v1/traces", {
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    data: body,
  });
  expect(res.status()).toBe(200);

  await page.goto(`/runs/${traceId}`);
  const explorer = page.getByTestId("trace-explorer");
  await expect(explorer.getByTestId("trace-summary")).toContainText("5,001"); // the run root + 5,000 spans
  await explorer.getByTestId("span-llm").first().click();
  await expect(explorer.getByTestId("llm-facts")).toContainText("gpt-4o-mini");
  // From navigation start to a span's details on screen, measured in the page.
  const ms = await page.evaluate(() => performance.now());
  console.log(`ui.trace_render_ms_5k ${Math.round(ms)}`);
  test.info().annotations.push({ type: "ui.trace_render_ms_5k", description: String(Math.round(ms)) });
  // Virtualised: only the rows in view are in the DOM.
  expect(await explorer.getByRole("treeitem").count()).toBeLessThan(100);
  await explorer.getByLabel("Search spans").fill("tool 49.98");
  await expect(explorer.getByTestId("trace-row-count")).toHaveText("1 matching");
  expect(ms).toBeLessThan(5_000);
});
