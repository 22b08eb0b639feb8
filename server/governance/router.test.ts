import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { governanceNotifications, users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext, type SessionUser } from "@/server/api/trpc";
import { deliverPendingNotifications } from "@/server/notifications/dispatcher";
import { insertNotification } from "@/server/notifications/service";
import { webhookBody, webhookTargets } from "@/server/notifications/webhooks";
import type { CreateBudgetInput } from "./budgets/schemas";
import { catalogueModels, CATALOGUE_PROVIDER_IDS } from "./pricing/catalogue-list";

let fresh: FreshDb;
let admin: SessionUser;
let viewer: SessionUser;

beforeAll(async () => {
  fresh = await freshDatabase();
  const [a, v] = await fresh.db
    .insert(users)
    .values([
      { email: "admin@example.com", name: "Admin", role: "admin", passwordHash: "x" },
      { email: "viewer@example.com", name: "Viewer", role: "viewer", passwordHash: "x" },
    ])
    .returning();
  admin = { id: a!.id, email: a!.email, name: a!.name, role: "admin" };
  viewer = { id: v!.id, email: v!.email, name: v!.name, role: "viewer" };
});
afterAll(async () => fresh?.drop());

const as = (u: SessionUser) => appRouter.createCaller(createInnerContext({ db: fresh.db, user: u }));

describe("governance.budgets", () => {
  it("creates, lists with the current window, edits optimistically and deletes", async () => {
    const b = await as(admin).governance.budgets.create({
      name: "Daily cap",
      scope: "global",
      period: "day",
      limitUsd: "12.5",
    });
    expect(b).toMatchObject({
      limitNano: 12_500_000_000n,
      limitUsd: "12.5",
      version: 1,
      alertThresholds: [50, 80, 100],
    });
    const listed = await as(viewer).governance.budgets.list();
    expect(listed.timeZone).toBe("UTC");
    expect(listed.budgets[0]).toMatchObject({ id: b.id, current: { spentNano: 0n, limitNano: 12_500_000_000n } });

    const edited = await as(admin).governance.budgets.update({ id: b.id, expectedVersion: 1, limitUsd: 20 });
    expect(edited.version).toBe(2);
    // A second admin still holding version 1 gets a CONFLICT naming the current version.
    await expect(
      as(admin).governance.budgets.update({ id: b.id, expectedVersion: 1, limitUsd: 5 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/expectedVersion: .*you edited version 1, it is now version 2/),
    });
    await expect(as(admin).governance.budgets.delete({ id: b.id, expectedVersion: 1 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await as(admin).governance.budgets.delete({ id: b.id, expectedVersion: 2 });
    expect((await as(admin).governance.budgets.list()).budgets).toHaveLength(0);
  });

  it("names the field of bad input", async () => {
    const bad = (input: unknown) => as(admin).governance.budgets.create(input as CreateBudgetInput);
    await expect(bad({ name: "x", scope: "global", period: "day", limitUsd: -1 })).rejects.toThrow(
      /limitUsd must not be negative/,
    );
    await expect(
      bad({ name: "x", scope: "global", period: "day", limitUsd: 1, alertThresholds: [50, 120] }),
    ).rejects.toThrow(/alertThresholds\.1: alert threshold must be at most 100/);
    await expect(bad({ name: " ", scope: "workflow", period: "day", limitUsd: 1 })).rejects.toThrow(
      /name: name must not be blank; .*scopeValue: scopeValue must name the workflow/,
    );
    await expect(bad({ name: "x", scope: "team", period: "day", limitUsd: 1 })).rejects.toThrow(
      /scope: scope must be one of/,
    );
    await expect(
      as(viewer).governance.budgets.create({ name: "x", scope: "global", period: "day", limitUsd: 1 }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("governance.models", () => {
  it("searches the whole catalogue, including the simulated model", async () => {
    expect(catalogueModels().length).toBeGreaterThan(1_300);
    const all = await as(viewer).governance.models.search({});
    expect(all.providers.map((p) => p.id)).toEqual(
      expect.arrayContaining(["openai", "anthropic", "google", "simulated"]),
    );
    // Every listed provider id still resolves in the bundled package.
    expect(all.providers.length).toBe(CATALOGUE_PROVIDER_IDS.length + 1);
    const hit = await as(viewer).governance.models.search({ query: "gpt-4o-mini", provider: "openai" });
    expect(hit.items[0]).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      rates: { input: "0.15", cachedInput: "0.075", output: "0.6" },
    });
    const sim = await as(viewer).governance.models.search({ query: "wflo-sim" });
    expect(sim.items[0]).toMatchObject({ provider: "simulated", rates: { input: "2.5", output: "10" } });
    await expect(as(viewer).governance.models.search({ limit: 0 })).rejects.toThrow(/limit: limit must be at least 1/);
  });

  it("versions overrides with history, and refuses bad prices by field", async () => {
    await as(admin).governance.models.setPrice({
      provider: "openai",
      model: "gpt-4o-mini",
      inputPerMtokUsd: "0.1",
      outputPerMtokUsd: "0.4",
      note: "contract",
    });
    await as(admin).governance.models.setPrice({
      provider: "openai",
      model: "gpt-4o-mini",
      inputPerMtokUsd: "0.12",
      outputPerMtokUsd: "0.5",
    });
    const hist = await as(viewer).governance.models.history({ provider: "openai", model: "gpt-4o-mini" });
    expect(hist.map((h) => [h.version, h.inputPerMtokUsd])).toEqual([
      [2, "0.12"],
      [1, "0.1"],
    ]);
    expect(
      (await as(viewer).governance.models.search({ query: "gpt-4o-mini", provider: "openai" })).items[0]?.overridden,
    ).toBe(true);
    await expect(
      as(admin).governance.models.setPrice({ provider: "openai", model: " ", inputPerMtokUsd: 1, outputPerMtokUsd: 1 }),
    ).rejects.toThrow(/model: model must not be blank/);
    await expect(
      as(admin).governance.models.setPrice({
        provider: "openai",
        model: "m",
        currency: "EUR" as "USD", // refused on purpose
        inputPerMtokUsd: 1,
        outputPerMtokUsd: 1,
      }),
    ).rejects.toThrow(/currency: currency must be USD/);
    await expect(
      as(admin).governance.models.setPrice({
        provider: "openai",
        model: "m",
        inputPerMtokUsd: -1,
        outputPerMtokUsd: 1,
      }),
    ).rejects.toThrow(/inputPerMtokUsd must not be negative/);
    await expect(
      as(viewer).governance.models.setPrice({
        provider: "openai",
        model: "m",
        inputPerMtokUsd: 1,
        outputPerMtokUsd: 1,
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await as(admin).governance.models.setAllowUnpriced({ allow: true });
    expect((await as(viewer).governance.models.settings()).allowUnpricedModels).toBe(true);
  });
});

describe("governance.guards", () => {
  it("validates limits by field and needs both halves of the burn-rate breaker", async () => {
    const base = {
      workflowId: "hello",
      expectedVersion: 0,
      maxLlmCallsPerRun: null,
      maxStepsPerRun: null,
      maxIdenticalCalls: null,
      burnWindowMinutes: null,
      burnLimitUsd: null,
    };
    await expect(as(admin).governance.guards.set({ ...base, maxLlmCallsPerRun: 0 })).rejects.toThrow(
      /maxLlmCallsPerRun: maxLlmCallsPerRun must be at least 1/,
    );
    await expect(as(admin).governance.guards.set({ ...base, burnWindowMinutes: 10 })).rejects.toThrow(
      /burnLimitUsd: the burn-rate breaker needs both/,
    );
    await expect(as(admin).governance.guards.set({ ...base, workflowId: "nope" })).rejects.toThrow(
      /workflowId: no workflow named "nope"/,
    );
    const g = await as(admin).governance.guards.set({
      ...base,
      maxLlmCallsPerRun: 10,
      burnWindowMinutes: 60,
      burnLimitUsd: "5",
    });
    expect(g).toMatchObject({ version: 1, maxLlmCallsPerRun: 10, burnLimitUsd: "5", tripped: false });
    await expect(as(admin).governance.guards.set({ ...base, maxLlmCallsPerRun: 3 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(as(admin).governance.guards.resetBreaker({ workflowId: "hello" })).rejects.toThrow(/is not tripped/);
    expect(
      (await as(viewer).governance.guards.list()).find((w) => w.workflowId === "hello")?.guards?.maxLlmCallsPerRun,
    ).toBe(10);
  });
});

describe("spend and costs", () => {
  it("reports an empty run, the spend summary and cost over time", async () => {
    const b = await as(viewer).governance.costBreakdown({ runId: "01NOTARUN" });
    expect(b).toMatchObject({ totalNano: 0n, calls: 0, budgetNano: null, stop: null });
    await expect(as(viewer).governance.costBreakdown({ runId: " " })).rejects.toThrow(/runId must not be blank/);
    const s = await as(viewer).governance.spendSummary();
    expect(s).toMatchObject({ todayNano: 0n, monthNano: 0n, timeZone: "UTC", topWorkflows: [] });
    await expect(
      as(viewer).governance.costOverTime({ from: new Date(), to: new Date(Date.now() - 1000) }),
    ).rejects.toThrow(/to: must be after from/);
  });
});

describe("alerts", () => {
  let receiver: Server;
  let received: { body: unknown; path: string }[] = [];
  let failNext = 0;
  let url = "";
  beforeAll(async () => {
    receiver = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        received.push({ body: JSON.parse(body) as unknown, path: req.url ?? "" });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => receiver.close(r)));
  afterEach(() => {
    received = [];
    delete process.env.WFLO_ALERT_WEBHOOK_URLS;
    delete process.env.WFLO_ALERT_WEBHOOK_FORMAT;
  });

  it("formats generic JSON and Slack messages with a link back to the run", () => {
    const env = {
      NEXTAUTH_URL: "https://wflo.example.com/",
      WFLO_ALERT_WEBHOOK_URLS: "https://hooks.slack.com/services/T/B/x, https://ops.example.com/hook",
    };
    expect(webhookTargets(env)).toEqual([
      { url: "https://hooks.slack.com/services/T/B/x", format: "slack" },
      { url: "https://ops.example.com/hook", format: "generic" },
    ]);
    const a = {
      id: 1,
      kind: "budget_exceeded",
      severity: "critical",
      title: "Run stopped",
      message: "spent $1",
      runId: "R1",
      workflowId: "w",
      budgetId: null,
      details: {},
      createdAt: "2026-01-01T00:00:00.000Z",
    };
    expect(JSON.parse(webhookBody(a, "slack", env))).toEqual({
      text: ":rotating_light: *Run stopped*\nspent $1\n<https://wflo.example.com/runs/R1|Open in wflo>",
    });
    expect(JSON.parse(webhookBody(a, "generic", env))).toMatchObject({
      source: "wflo",
      type: "governance.budget_exceeded",
      runId: "R1",
      link: "https://wflo.example.com/runs/R1",
    });
  });

  it("delivers each notification once to every webhook, retrying a failing one", async () => {
    process.env.WFLO_ALERT_WEBHOOK_URLS = `${url}/generic,${url}/slack`;
    process.env.WFLO_ALERT_WEBHOOK_FORMAT = "slack";
    const n = {
      kind: "breaker_tripped" as const,
      severity: "critical" as const,
      title: "Breaker",
      message: "tripped",
      workflowId: "hello",
      dedupeKey: "test:breaker:1",
    };
    expect(await insertNotification(fresh.db, n)).toBe(true);
    expect(await insertNotification(fresh.db, n)).toBe(false); // fires once
    failNext = 1;
    expect(await deliverPendingNotifications(fresh.db)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    const [row] = await fresh.db
      .select()
      .from(governanceNotifications)
      .where(eq(governanceNotifications.dedupeKey, "test:breaker:1"));
    expect(row).toMatchObject({
      deliveryStatus: "pending",
      deliveryAttempts: 1,
      lastDeliveryError: expect.stringMatching(/HTTP 503/),
    });
    // Due again (skip the backoff), then delivered to both.
    await fresh.db
      .update(governanceNotifications)
      .set({ nextAttemptAt: new Date(0) })
      .where(eq(governanceNotifications.id, row!.id));
    received = [];
    expect(await deliverPendingNotifications(fresh.db)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(received.map((r) => r.body)).toEqual([
      { text: expect.stringContaining("*Breaker*") },
      { text: expect.stringContaining("*Breaker*") },
    ]);
    expect(await deliverPendingNotifications(fresh.db)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    const list = await as(viewer).governance.notifications.list({ unreadOnly: true });
    expect(list[0]).toMatchObject({ title: "Breaker", deliveryStatus: "delivered", read: false });
    expect(await as(viewer).governance.notifications.unreadCount()).toMatchObject({ unread: 1, critical: 1 });
    expect(await as(viewer).governance.notifications.markRead({})).toEqual({ marked: 1 });
    expect((await as(viewer).governance.notifications.unreadCount()).unread).toBe(0);
  });
});
