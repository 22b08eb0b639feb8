import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it, vi } from "vitest";
import { approvals, llmCalls, type ApprovalRow } from "@/db/schema";
import { startProviderServer } from "@/server/governance/testing/provider-server";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";
import { aiSdkProvider, aiSdkTestFunctions } from "@/server/adapters/frameworks/testing/ai-sdk-functions";
import { langGraphProvider, langGraphTestFunctions } from "@/server/adapters/frameworks/testing/langgraph-functions";
import { raProvider, requireApprovalTestFunctions } from "./testing/require-approval-functions";

/**
 * "Require approval" on every LLM call path, on real parts: the real openai client against the
 * local provider server, workflows on the embedded engine, decisions through the approvals
 * router. The provider's request count proves the call waited (or never happened).
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const providers = await startProviderServer();
afterAll(() => providers.close());
raProvider.openaiBaseUrl = providers.openaiBaseUrl;
langGraphProvider.baseURL = providers.openaiBaseUrl;
aiSdkProvider.baseURL = providers.openaiBaseUrl;
const { h, approver } = await openHarness(
  () =>
    startRunsHarness({
      extraFunctions: [...requireApprovalTestFunctions, ...langGraphTestFunctions, ...aiSdkTestFunctions],
    }),
  { approver: ["ann@example.com", "approver"] },
);

const startGated = (name: string) => h.start(name, { envelope: { requireApproval: true } });
const callsOf = (runId: string) => h.fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId));
/** The engine holds the gate's wait: its wake-up is a signal keyed by the approval id. */
const waitingAtGate = (runId: string) =>
  h.until(`run ${runId} to wait at its gate`, async () => {
    const rows = await h.fresh.db.execute<{ n: number }>(
      sql`select count(*)::int as n from engine_waits where run_id = ${runId} and kind = 'signal'`,
    );
    return (rows[0]?.n ?? 0) > 0;
  });
async function pendingGate(runId: string, gate: string): Promise<ApprovalRow> {
  const a = await h.until(`approval ${gate} of ${runId}`, async () =>
    (await h.fresh.db.select().from(approvals).where(eq(approvals.runId, runId))).find((r) => r.gate === gate),
  );
  await waitingAtGate(runId);
  return a;
}

describe.each([
  { path: "wflo.wrap(openai)", event: "test/ra.wrapped", gate: "llm:llm:gpt-4o-mini:1", prompt: "Wrapped question." },
  { path: "wflo.trackLlmCall", event: "test/ra.tracked", gate: "llm:ask", prompt: "Tracked question." },
])("a require-approval run calling through $path", ({ event, gate, prompt }) => {
  it("waits for approval before the provider sees the request, then makes the call once", async () => {
    const before = providers.requests.length;
    const runId = await startGated(event);
    const approval = await pendingGate(runId, gate);
    expect(approval).toMatchObject({ status: "pending", risk: "medium", tool: "llm" });
    expect(approval.payload).toMatchObject({ model: "gpt-4o-mini", prompt: `user: ${prompt}` });
    // Worst case of gpt-4o-mini at $0.15/$0.60 per million: 100 output tokens alone are $0.00006.
    expect(approval.payload.estimatedCostUsd as number).toBeGreaterThanOrEqual(0.00006);
    // Waiting: nothing sent, nothing charged.
    await new Promise((r) => setTimeout(r, 300));
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);

    await h.as(approver).approvals.decide({ approvalId: approval.id, decision: "approve" });
    const run = await h.finished(runId);
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ text: `Reply from gpt-4o-mini: ${prompt}` });
    expect(providers.requests.length).toBe(before + 1);
    const calls = await callsOf(runId);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.costNano).toBeGreaterThan(0n);
  });

  it("stops after a rejection: no call, no charge", async () => {
    const before = providers.requests.length;
    const runId = await startGated(event);
    const approval = await pendingGate(runId, gate);
    await h.as(approver).approvals.decide({ approvalId: approval.id, decision: "reject", comment: "not now" });
    const run = await h.finished(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(/rejected by ann@example.com: not now/);
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);
  });
});

describe("a require-approval run through a framework adapter (AI SDK generateText with a tool)", () => {
  it("gates each model call of the loop: the provider sees a request only after its approval", async () => {
    const before = providers.requests.length;
    const runId = await startGated("test/ai-sdk.call");
    const approved: string[] = [];
    // Call 1 asks for the tool; call 2 answers with its result: two gates, one after the other.
    for (let n = 1; n <= 2; n++) {
      const next = await h.until(`LLM gate ${n}`, async () =>
        (await h.fresh.db.select().from(approvals).where(eq(approvals.runId, runId))).find(
          (a) => a.status === "pending" && !approved.includes(a.id),
        ),
      );
      await waitingAtGate(runId);
      expect(next.gate).toMatch(/^llm:/);
      expect(next.payload).toMatchObject({ model: "gpt-4o-mini" });
      expect(providers.requests.length).toBe(before + n - 1);
      await h.as(approver).approvals.decide({ approvalId: next.id, decision: "approve" });
      approved.push(next.id);
    }
    const run = await h.finished(runId);
    expect(run.error).toBeNull();
    expect(providers.requests.length).toBe(before + 2);
    expect(await callsOf(runId)).toHaveLength(2);
  });
});

describe("a require-approval run calling inline inside a step (the SDK's checkpoint(name, fn))", () => {
  it("refuses the call with a clear error instead of letting it through ungated", async () => {
    const before = providers.requests.length;
    const runId = await startGated("test/ra.inline");
    const run = await h.finished(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /^LLM call "checkpoint:draft:1\/track:gpt-4o-mini:1" refused: this run requires approval for every LLM call, and this call was made inside step "draft", where it cannot wait for an approval\./,
    );
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);
    expect(await h.fresh.db.select().from(approvals).where(eq(approvals.runId, runId))).toEqual([]);
  });

  it("a wrapped call inside the workflow's own step.run is refused too (the gate cannot wait inside a step)", async () => {
    const before = providers.requests.length;
    const runId = await startGated("test/ra.in-step");
    const run = await h.finished(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /^LLM call "llm:gpt-4o-mini:1" refused: this run requires approval for every LLM call, and a call made inside step "mine" cannot wait for one \(steps cannot nest\)\./,
    );
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);
  });

  it("a LangGraph graph (its calls are governed inside each superstep's step) is refused before the provider sees a request", async () => {
    const before = providers.requests.length;
    const runId = await startGated("test/langgraph.agent");
    const run = await h.finished(runId);
    expect(run.status).toBe("failed");
    expect(run.error?.message).toMatch(
      /refused: this run requires approval for every LLM call, and this call was made inside step "langgraph/,
    );
    expect(providers.requests.length).toBe(before);
    expect(await callsOf(runId)).toEqual([]);
  });

  it("without require approval the same workflow makes the call", async () => {
    const before = providers.requests.length;
    const runId = await h.start("test/ra.inline");
    const run = await h.finished(runId);
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ text: "Reply from gpt-4o-mini: Inline question." });
    expect(providers.requests.length).toBe(before + 1);
  });
});
