import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { auditLog, llmCalls, runLinks, runs, runSteps, type Run } from "@/db/schema";
import { inngest } from "@/inngest/client";
import { postToIntake } from "@/inngest/engine/testing/intake";
import { createEventKey } from "@/server/event-keys/service";
import { startProviderServer } from "@/server/governance/testing/provider-server";
import { governanceTestFunctions } from "@/server/governance/testing/governance-functions";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * Issue 13, findings 3 and 4: wflo's `_wflo` envelope (who triggered a run, its own budget,
 * require-approval, re-run and fork links) is believed only when wflo signed it for exactly that
 * event. Forged envelopes, and signed ones moved onto other input, are sent to the real embedded
 * engine the way an outside sender would (an event straight to the intake, no tRPC); wflo's real
 * serve handler and middleware run them; the LLM calls go to the local provider server.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const PROVIDER_ENV = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"] as const;
const savedEnv = Object.fromEntries(PROVIDER_ENV.map((k) => [k, process.env[k]]));
const providers = await startProviderServer();
process.env.OPENAI_API_KEY = "sk-test-wflo";
process.env.OPENAI_BASE_URL = providers.openaiBaseUrl;
process.env.ANTHROPIC_API_KEY = "sk-ant-test-wflo";
process.env.ANTHROPIC_BASE_URL = providers.anthropicBaseUrl;
afterAll(async () => {
  for (const k of PROVIDER_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await providers.close();
});

const { h, admin, operator, victim } = await openHarness(
  () => startRunsHarness({ extraFunctions: governanceTestFunctions }),
  {
    admin: ["admin@example.com", "admin"],
    operator: ["operator@example.com", "operator"],
    victim: ["victim@example.com", "admin"],
  },
);

/** An event straight to the engine's intake, as anyone holding an event key can send it. */
async function post(name: string, data: Record<string, unknown>, id?: string): Promise<string> {
  const { ids } = await inngest.send({ name, data, ...(id ? { id } : {}) });
  return ids[0]!;
}
const runOf = async (eventId: string): Promise<Run> => h.finished((await h.runFor(eventId)).id);
const auditsOf = (action: string) => h.fresh.db.select().from(auditLog).where(eq(auditLog.action, action));
const forgedBy = (u: { id: string; email: string }) => ({ triggeredBy: { id: u.id, email: u.email } });

/** Not a person: the run is shown as sent by the event key (here the app's own client's key). */
function expectAttributedToSender(run: Run) {
  expect(run).toMatchObject({ triggeredById: null, triggeredByEmail: null, triggeredByKind: "event_key" });
  expect(run.triggeredByEventKey).toEqual(expect.any(String));
}

describe("a forged envelope is dropped", () => {
  it("does not attribute a run to the user named in a forged _wflo.triggeredBy, and audits no trigger", async () => {
    const triggers = (await auditsOf("run.trigger")).length;
    const run = await runOf(await post("demo/hello.requested", { name: "Ada", _wflo: forgedBy(victim) }));
    expect(run.status).toBe("completed");
    expectAttributedToSender(run);
    // The input is still the data without the envelope.
    expect(run.input).toEqual({ name: "Ada" });
    expect((await auditsOf("run.trigger")).length).toBe(triggers);
    // Runs "triggered by" the victim: none of them is this one.
    const listed = await h.as(admin).runs.list({ triggeredBy: victim.email, limit: 50 });
    expect(listed.items.map((r) => r.id)).not.toContain(run.id);
  });

  it("ignores a forged run budget, require-approval and re-run link", async () => {
    const run = await runOf(
      await post("test/gov.providers", {
        _wflo: { budgetNano: "1", requireApproval: true, rerunOf: "01FORGEDPARENT" },
      }),
    );
    // Believed, budgetNano 1 would refuse the first call, and require-approval would hold it for a person.
    expect(run.error).toBeNull();
    expect(run.status).toBe("completed");
    expect(run.rerunOf).toBeNull();
    expect(
      (await h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, run.id))).map((c) => c.stepId).sort(),
    ).toEqual(["ask-anthropic", "ask-openai"]);
    expect((await h.as(admin).governance.costBreakdown({ runId: run.id })).budgetNano).toBeNull();
  });

  it("ignores a forged fork link: nothing is served from another run", async () => {
    const { eventId } = await h.as(operator).runs.trigger({ workflowId: "hello", input: { name: "Grace" } });
    const parent = await runOf(eventId);
    const run = await runOf(
      await post("demo/hello.requested", { name: "Eve", _wflo: { forkOf: { runId: parent.id, upToPosition: 10 } } }),
    );
    // Believed, the greet step would be served from the parent: "Hello, Grace!".
    expect(run.output).toMatchObject({ message: "Hello, Eve!" });
    expect(await h.fresh.db.select().from(runLinks).where(eq(runLinks.childRunId, run.id))).toEqual([]);
    const [greet] = await h.fresh.db.select().from(runSteps).where(eq(runSteps.runId, run.id));
    expect(greet?.detail).toBeNull();
  });
});

describe("a run is attributed to the event key that sent it", () => {
  it("names an outside sender's key, not the user its forged envelope names, in the run list and the run", async () => {
    const { key, secret } = await createEventKey(
      h.fresh.db,
      { id: admin.id, email: admin.email },
      { name: "partner relay" },
    );
    const reply = await postToIntake(
      h.engine.url,
      { name: "demo/hello.requested", data: { name: "Zed", _wflo: forgedBy(victim) } },
      { key: secret },
    );
    expect(reply.status).toBe(200);
    const run = await runOf(reply.body.ids![0]!);
    expect(run).toMatchObject({
      triggeredById: null,
      triggeredByEmail: null,
      triggeredByKind: "event_key",
      triggeredByEventKeyId: key.id,
      triggeredByEventKey: "partner relay",
    });
    expect((await h.as(admin).runs.get({ runId: run.id })).run.triggeredByLabel).toBe("event key partner relay");
    const listed = await h.as(admin).runs.list({ triggeredBy: "partner relay", limit: 50 });
    expect(listed.items.find((r) => r.id === run.id)).toMatchObject({
      triggeredByKind: "event_key",
      triggeredByLabel: "event key partner relay",
    });
  });
});

describe("a signed envelope holds only for the event it was signed for", () => {
  it("is rejected when copied onto other input, or onto a new event id with the same input", async () => {
    const { eventId } = await h.as(operator).runs.trigger({ workflowId: "hello", input: { name: "Grace" } });
    const original = await runOf(eventId);
    expect(original).toMatchObject({ triggeredById: operator.id, triggeredByEmail: operator.email });
    const stored = (await h.engine.getRun(original.id))?.event as unknown as {
      data: { _wflo: Record<string, unknown> };
    };
    const captured = stored.data._wflo;
    expect(captured.triggeredBy).toEqual({ id: operator.id, email: operator.email });

    const moved = await runOf(await post("demo/hello.requested", { name: "Mallory", _wflo: captured }));
    expect(moved.output).toMatchObject({ message: "Hello, Mallory!" });
    expectAttributedToSender(moved);

    const copied = await runOf(await post("demo/hello.requested", { name: "Grace", _wflo: captured }));
    expectAttributedToSender(copied);

    // An exact replay (same id) is the same event: the engine takes it in once and starts nothing new.
    const before = await h.fresh.db.select({ id: runs.id }).from(runs).where(eq(runs.eventId, eventId));
    await post("demo/hello.requested", { name: "Grace", _wflo: captured }, eventId);
    expect(await h.fresh.db.select({ id: runs.id }).from(runs).where(eq(runs.eventId, eventId))).toEqual(before);
    expect((await h.fresh.db.select().from(runs).where(eq(runs.id, original.id)))[0]?.triggeredByKind).toBe("user");
  });
});

describe("budgets cannot be escaped or charged to another user", () => {
  it("holds a run sent without an envelope to the global budget", async () => {
    // $0.00001 is less than any one call's worst case: the first call is refused before the provider sees it.
    const budget = await h.as(admin).governance.budgets.create({
      name: "global cap",
      scope: "global",
      period: "day",
      limitUsd: "0.00001",
      alertThresholds: [],
    });
    try {
      const seen = providers.requests.length;
      const run = await runOf(await post("test/gov.providers", {}));
      expect(run.status).toBe("failed");
      expect(run.error?.message).toMatch(/budget exceeded: global/);
      expect(providers.requests.length).toBe(seen);
      expect(await h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, run.id))).toEqual([]);
    } finally {
      await h.as(admin).governance.budgets.delete({ id: budget.id, expectedVersion: budget.version });
    }
  });

  it("does not charge a forged envelope's spend to the named user's budget", async () => {
    const budget = await h.as(admin).governance.budgets.create({
      name: "victim's day",
      scope: "user",
      scopeValue: victim.id,
      period: "day",
      limitUsd: "100",
      alertThresholds: [],
    });
    try {
      const run = await runOf(await post("test/gov.providers", { _wflo: forgedBy(victim) }));
      expect(run.status).toBe("completed");
      expect((await h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, run.id))).length).toBe(2);
      const listed = (await h.as(admin).governance.budgets.list()).budgets.find((b) => b.id === budget.id);
      expect(listed?.current?.spentNano ?? 0n).toBe(0n);
      expect(listed?.current?.reservedNano ?? 0n).toBe(0n);
    } finally {
      await h.as(admin).governance.budgets.delete({
        id: budget.id,
        expectedVersion: (await h.as(admin).governance.budgets.list()).budgets.find((b) => b.id === budget.id)!.version,
      });
    }
  });

  it("still charges the user who really triggered the run through wflo", async () => {
    const budget = await h.as(admin).governance.budgets.create({
      name: "operator's day",
      scope: "user",
      scopeValue: operator.id,
      period: "day",
      limitUsd: "100",
      alertThresholds: [],
    });
    try {
      const { eventId } = await h
        .as(operator)
        .runs.trigger({ workflowId: "research-assistant", input: { topic: "signed attribution", questions: 1 } });
      const { id } = await h.runFor(eventId);
      await h.until(
        "an LLM call of the run",
        async () =>
          (
            await h.fresh.db
              .select()
              .from(llmCalls)
              .where(and(eq(llmCalls.runId, id)))
          ).length > 0,
      );
      const listed = (await h.as(admin).governance.budgets.list()).budgets.find((b) => b.id === budget.id);
      expect(listed?.current?.spentNano ?? 0n).toBeGreaterThan(0n);
      await h.as(operator).runs.cancel({ runId: id });
    } finally {
      await h.as(admin).governance.budgets.delete({
        id: budget.id,
        expectedVersion: (await h.as(admin).governance.budgets.list()).budgets.find((b) => b.id === budget.id)!.version,
      });
    }
  });
});
