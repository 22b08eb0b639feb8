import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  approvals,
  llmCallPayloads,
  llmCalls,
  runs,
  runSteps,
  sandboxExecutions,
  spans,
  stateSnapshots,
} from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { createInnerContext } from "@/server/api/trpc";
import { appRouter } from "@/server/api/root";
import { createLogger, runLogger, withLogContext } from "@/server/log";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { captureLlmPayload } from "./capture";
import { exportTrace } from "./export";
import { redact, REDACTED } from "./redact";
import { getTrace } from "./trace";

let fresh: FreshDb;
const t = (s: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, s));
// Secrets a user might put in a step's input: under a secret key, and inside free text.
const OPENAI_KEY = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX1234";
const BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0cGF5bG9hZA.c2lnbmF0dXJlMTIz";
const PASSWORD = "correct horse battery staple";
const CUSTOM = "ACME-INTERNAL-7731";

beforeAll(async () => {
  process.env.WFLO_REDACT_PATTERNS = "ACME-INTERNAL-\\d+";
  fresh = await freshDatabase();
  const db = fresh.db;
  await db.insert(runs).values({
    id: "run1",
    workflowId: "research-assistant",
    status: "completed",
    eventName: "research/requested",
    input: { topic: "x", password: PASSWORD, apiKey: OPENAI_KEY, note: `call it with ${BEARER} please`, ref: CUSTOM },
    output: { ok: true },
    startedAt: t(0),
    endedAt: t(20),
  });
  await db.insert(runSteps).values([
    {
      runId: "run1",
      hashedId: "h-plan",
      stepId: "plan",
      name: "plan",
      kind: "run",
      status: "completed",
      position: 0,
      startedAt: t(1),
      endedAt: t(3),
      output: { text: `plan with ${OPENAI_KEY}` },
    },
    {
      runId: "run1",
      hashedId: "h-ck",
      stepId: "checkpoint:plan:v1",
      name: "checkpoint:plan:v1",
      kind: "run",
      status: "completed",
      position: 1,
      startedAt: t(3),
      endedAt: t(4),
    },
    {
      runId: "run1",
      hashedId: "h-sb",
      stepId: "analyse",
      name: "analyse",
      kind: "run",
      status: "failed",
      position: 2,
      startedAt: t(4),
      endedAt: t(6),
      error: { name: "Error", message: "boom", stack: "Error: boom\n    at analyse" },
    },
    {
      runId: "run1",
      hashedId: "h-ap",
      stepId: "approval:publish",
      name: "approval:publish",
      kind: "run",
      status: "completed",
      position: 3,
      startedAt: t(6),
      endedAt: t(7),
    },
  ]);
  const [call] = await db
    .insert(llmCalls)
    .values({
      runId: "run1",
      stepId: "plan",
      workflow: "research-assistant",
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 120,
      outputTokens: 45,
      costNano: 45_000n,
      priceSource: "catalogue",
      latencyMs: 900,
      createdAt: t(2),
    })
    .returning();
  await captureLlmPayload(
    db,
    call!.id,
    "run1",
    { model: "gpt-4o-mini", system: "You plan.", prompt: `Plan the topic. key=${OPENAI_KEY}` },
    { text: "1. a 2. b" },
  );
  await db.insert(sandboxExecutions).values({
    runId: "run1",
    stepId: "analyse",
    provider: "bubblewrap",
    language: "python",
    code: "print(1)",
    limits: { timeoutMs: 1000 },
    outcome: "error",
    exitCode: 1,
    stderr: "Traceback",
    startedAt: t(4),
    durationMs: 500,
  });
  await db.insert(stateSnapshots).values({
    runId: "run1",
    name: "plan",
    version: 1,
    state: { plan: "p", token: "tok_123456789" },
    stepId: "checkpoint:plan:v1",
    createdAt: t(3),
  });
  await db.insert(approvals).values({
    runId: "run1",
    workflowId: "research-assistant",
    gate: "publish",
    action: "publish report",
    risk: "high",
    status: "approved",
    deciderRole: "approver",
    policyVersion: 1,
    deadlineAt: t(600),
    createdAt: t(6),
    decidedAt: t(7),
    decidedByEmail: "a@example.com",
  });
  // An extra span whose parent never arrived.
  await db.insert(spans).values({
    runId: "run1",
    spanId: "aaaaaaaaaaaaaaaa",
    parentSpanId: "bbbbbbbbbbbbbbbb",
    name: "tool lookup",
    kind: "tool",
    status: "ok",
    startedAt: t(8),
    endedAt: t(9),
    attributes: { "gen_ai.tool.name": "lookup" },
    source: "wflo",
  });
});
afterAll(async () => {
  delete process.env.WFLO_REDACT_PATTERNS;
  await fresh.drop();
});

describe("trace read model", () => {
  it("assembles run -> steps -> LLM call / sandbox / approval / checkpoint with parent links and times", async () => {
    const trace = await getTrace(fresh.db, "run1");
    expect(trace).not.toBeNull();
    const byId = new Map(trace!.spans.map((s) => [s.id, s]));
    expect(trace!.traceId).toBe("run1");
    expect(byId.get("run")?.parentId).toBeNull();
    const llm = trace!.spans.find((s) => s.kind === "llm")!;
    expect(llm.parentId).toBe("step:h-plan");
    expect(llm.startMs).toBe(t(2).getTime() - 900);
    expect(llm.llm).toMatchObject({ model: "gpt-4o-mini", inputTokens: 120, outputTokens: 45, costNano: "45000" });
    expect(llm.llm?.request).toMatchObject({ system: "You plan." });
    expect(llm.attributes["gen_ai.usage.input_tokens"]).toBe(120);
    expect(trace!.spans.find((s) => s.kind === "sandbox")?.parentId).toBe("step:h-sb");
    expect(trace!.spans.find((s) => s.kind === "checkpoint")?.parentId).toBe("step:h-ck");
    expect(trace!.spans.find((s) => s.kind === "approval")?.parentId).toBe("step:h-ap");
    // Unknown parent: kept, shown under the root rather than lost or dangling.
    expect(byId.get("otel:aaaaaaaaaaaaaaaa")?.parentId).toBe("run");
    const failed = byId.get("step:h-sb")!;
    expect(failed.status).toBe("error");
    expect(failed.error?.stack).toContain("at analyse");
    expect(trace!.summary).toMatchObject({
      llmCalls: 1,
      inputTokens: 120,
      outputTokens: 45,
      costNano: "45000",
      durationMs: 20_000,
    });
    expect(trace!.summary.errors).toBeGreaterThanOrEqual(2);
  });

  it("is served through tRPC to viewers and 404s for an unknown run", async () => {
    const caller = appRouter.createCaller(
      createInnerContext({
        db: fresh.db,
        user: { id: "00000000-0000-4000-8000-000000000001", email: "v@example.com", name: "v", role: "viewer" },
      }),
    );
    const wire = await caller.tracing.get({ runId: "run1" });
    expect((JSON.parse(wire.spansJson) as unknown[]).length).toBe(wire.summary.spans);
    expect(wire.summary.spans).toBeGreaterThan(5);
    await expect(caller.tracing.get({ runId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("secrets never leave", () => {
  const secrets = [OPENAI_KEY, BEARER.split(" ")[1]!, PASSWORD, CUSTOM, "tok_123456789"];

  it("are redacted from served spans (run input, step output, prompts, checkpoint state)", async () => {
    const json = JSON.stringify(await getTrace(fresh.db, "run1"));
    for (const s of secrets) expect(json).not.toContain(s);
    expect(json).toContain(REDACTED);
    // What is not a secret survives.
    expect(json).toContain("Plan the topic.");
  });

  it("are redacted from stored prompt captures", async () => {
    const rows = await fresh.db.select().from(llmCallPayloads);
    expect(JSON.stringify(rows)).not.toContain(OPENAI_KEY);
  });

  it("are redacted from log lines, which carry the run id as trace id", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const logger = createLogger(sink);
    logger.level = "info"; // tests run the app logger silent
    const input = { topic: "x", password: PASSWORD, apiKey: OPENAI_KEY, note: `call it with ${BEARER}`, ref: CUSTOM };
    withLogContext({ runId: "run1", step: "plan", requestId: "req-1" }, () =>
      logger.warn({ input }, `step input ${JSON.stringify(input)}`),
    );
    expect(runLogger({ runId: "run1", step: "plan", spanId: "step:h-plan" }).bindings()).toMatchObject({
      runId: "run1",
      traceId: "run1",
      step: "plan",
      spanId: "step:h-plan",
    });
    const out = lines.join("");
    for (const s of secrets.slice(0, 4)) expect(out).not.toContain(s);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ runId: "run1", traceId: "run1", step: "plan", requestId: "req-1" });
  });

  it("are redacted from OTLP exports, whose LLM spans use the GenAI conventions", async () => {
    const exporter = new InMemorySpanExporter();
    await exportTrace(exporter, (await getTrace(fresh.db, "run1"))!);
    const exported = exporter.getFinishedSpans();
    const json = JSON.stringify(
      exported.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
    );
    for (const s of secrets) expect(json).not.toContain(s);
    const chat = exported.find((s) => s.name === "chat gpt-4o-mini")!;
    expect(chat.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 45,
    });
    expect(String(chat.attributes["gen_ai.input.messages"])).toContain("Plan the topic.");
    const root = exported.find((s) => !s.parentSpanContext)!;
    expect(chat.spanContext().traceId).toBe(root.spanContext().traceId);
  });

  it("redact() handles keys, free text, configured patterns and cycles", () => {
    const o: Record<string, unknown> = {
      Authorization: "x",
      nested: { client_secret: "abc", text: `password=${PASSWORD.replace(/ /g, "")} ok` },
    };
    o.self = o;
    const r = redact(o) as Record<string, unknown>;
    expect(r.Authorization).toBe(REDACTED);
    expect(JSON.stringify(r)).not.toContain("correcthorse");
    expect(r.self).toBe("[circular]");
    const shared = { a: 1 };
    expect(redact({ x: shared, y: shared })).toEqual({ x: { a: 1 }, y: { a: 1 } });
  });
});

describe("tokens over time (dashboard)", () => {
  it("sums input and output tokens per day and key from the hourly rollup", async () => {
    const { llmCostRollup } = await import("@/db/schema");
    const { tokensOverTime } = await import("./tokens");
    await fresh.db.insert(llmCostRollup).values([
      {
        hour: new Date("2026-11-20T10:00:00Z"),
        provider: "openai",
        model: "gpt-4o-mini",
        workflow: "demo",
        calls: 2n,
        costNano: 10n,
        inputTokens: 100n,
        outputTokens: 20n,
      },
      {
        hour: new Date("2026-11-20T15:00:00Z"),
        provider: "openai",
        model: "gpt-4o-mini",
        workflow: "demo",
        calls: 1n,
        costNano: 5n,
        inputTokens: 50n,
        outputTokens: 5n,
      },
      {
        hour: new Date("2026-11-21T09:00:00Z"),
        provider: "openai",
        model: "gpt-4o",
        workflow: "demo",
        calls: 1n,
        costNano: 5n,
        inputTokens: 7n,
        outputTokens: 3n,
      },
    ]);
    const points = await tokensOverTime(fresh.db, {
      from: new Date("2026-11-19T00:00:00Z"),
      to: new Date("2026-11-22T00:00:00Z"),
      groupBy: "model",
      timeZone: "UTC",
    });
    expect(points).toEqual([
      { bucket: new Date("2026-11-20T00:00:00Z"), key: "gpt-4o-mini", inputTokens: 150, outputTokens: 25 },
      { bucket: new Date("2026-11-21T00:00:00Z"), key: "gpt-4o", inputTokens: 7, outputTokens: 3 },
    ]);
  });
});
