import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  approvals,
  llmCallPayloads,
  llmCalls,
  runs,
  runSteps,
  sandboxExecutions,
  spans,
  stateSnapshots,
  TERMINAL_RUN_STATUSES,
  type RunStatus,
} from "@/db/schema";
import { triggerLabel } from "@/server/runs/attribution";
import { capValue, redact } from "./redact";
import { cap, flatAttrs, ms, stepStatus } from "./span-fields";
import { summarize } from "./trace-summary";
import type { Trace, TraceSpan } from "./types";

/**
 * The trace of a run, assembled from the rows each part of wflo already writes: the run is the
 * root span, its steps are children, and a step's LLM calls, sandbox executions, approval and
 * checkpoint hang under it (matched on the step id the workflow gave). Spans that arrived over
 * OTLP, and extra spans, come from the `spans` table with their own parent links. Nothing here
 * writes: the middleware stays the only writer of runs and steps.
 *
 * Every served value is redacted again (older rows, and rows other modules wrote, were never
 * redacted at write time) and capped.
 */

const TERMINAL: ReadonlySet<RunStatus> = new Set(TERMINAL_RUN_STATUSES);
export async function getTrace(db: Database, runId: string): Promise<Trace | null> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  const [steps, calls, payloads, execs, gates, snaps, extra] = await Promise.all([
    db
      .select()
      .from(runSteps)
      .where(eq(runSteps.runId, runId))
      .orderBy(asc(runSteps.position), asc(runSteps.startedAt)),
    db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.id)),
    db.select().from(llmCallPayloads).where(eq(llmCallPayloads.runId, runId)),
    db
      .select()
      .from(sandboxExecutions)
      .where(eq(sandboxExecutions.runId, runId))
      .orderBy(asc(sandboxExecutions.startedAt)),
    db.select().from(approvals).where(eq(approvals.runId, runId)),
    db.select().from(stateSnapshots).where(eq(stateSnapshots.runId, runId)),
    db.select().from(spans).where(eq(spans.runId, runId)).orderBy(asc(spans.startedAt)),
  ]);
  if (!run && extra.length === 0) return null;

  const out: TraceSpan[] = [];
  const rootId = "run";
  const runStart = run ? run.startedAt.getTime() : Math.min(...extra.map((s) => s.startedAt.getTime()));
  if (run) {
    out.push({
      id: rootId,
      parentId: null,
      kind: "run",
      name: run.workflowId,
      status: stepStatus(run.status),
      startMs: runStart,
      endMs: ms(run.endedAt),
      attributes: flatAttrs({
        "wflo.run.id": run.id,
        "wflo.workflow": run.workflowId,
        "wflo.event": run.eventName,
        "wflo.attempts": run.attempts,
        "wflo.triggered_by": triggerLabel(run),
        "wflo.triggered_by.kind": run.triggeredByKind,
        "wflo.rerun_of": run.rerunOf,
      }),
      input: cap(run.input),
      output: cap(run.output),
      error: run.error ? redact(run.error) : undefined,
    });
  }

  // A workflow's step id -> the span of its first occurrence, so calls made inside it hang under it.
  const stepSpanByStepId = new Map<string, string>();
  for (const s of steps) {
    const id = `step:${s.hashedId}`;
    if (!stepSpanByStepId.has(s.stepId)) stepSpanByStepId.set(s.stepId, id);
    out.push({
      id,
      parentId: rootId,
      kind: "step",
      name: s.name,
      status: stepStatus(s.status),
      startMs: s.startedAt.getTime(),
      endMs: ms(s.endedAt),
      attributes: {
        "wflo.step.id": s.stepId,
        "wflo.step.kind": s.kind,
        "wflo.step.attempts": s.attempts,
        "wflo.step.position": s.position,
        ...flatAttrs(s.detail as Record<string, unknown> | null, "wflo.step.detail"),
      },
      output: cap(s.output),
      error: s.error ? redact(s.error) : undefined,
    });
  }
  const under = (stepId: string | null | undefined) => (stepId ? stepSpanByStepId.get(stepId) : undefined) ?? rootId;

  const payloadByCall = new Map(payloads.map((p) => [p.callId, p]));
  // A call recorded from an ingested GenAI span is shown once: as that span.
  const shownAsSpan = new Set(extra.map((s) => s.llmCallId).filter((id): id is number => id !== null));
  for (const c of calls) {
    if (shownAsSpan.has(c.id)) continue;
    const end = c.createdAt.getTime();
    const p = payloadByCall.get(c.id);
    out.push({
      id: `llm:${c.id}`,
      parentId: under(c.stepId),
      kind: "llm",
      name: `${c.provider}/${c.model}`,
      status: c.status === "error" ? "error" : "ok",
      startMs: end - (c.latencyMs ?? 0),
      endMs: end,
      // GenAI semantic-convention names, so the explorer and the OTLP export speak the same language.
      attributes: {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": c.provider,
        "gen_ai.request.model": c.model,
        "gen_ai.usage.input_tokens": c.inputTokens,
        "gen_ai.usage.output_tokens": c.outputTokens,
        "wflo.cost_usd": Number(c.costNano) / 1e9,
        "wflo.price_source": c.priceSource,
        "wflo.simulated": c.simulated,
        "wflo.step.id": c.stepId,
      },
      error: c.error ? { name: "LlmCallError", message: redact(c.error) } : null,
      llm: {
        provider: c.provider,
        model: c.model,
        inputTokens: c.inputTokens,
        outputTokens: c.outputTokens,
        cachedInputTokens: c.cachedInputTokens,
        reasoningTokens: c.reasoningTokens,
        costNano: c.costNano.toString(),
        simulated: c.simulated,
        request: p ? capValue(p.request) : null,
        response: p ? capValue(p.response) : null,
      },
    });
  }

  for (const e of execs) {
    const start = e.startedAt.getTime();
    out.push({
      id: `sandbox:${e.id}`,
      parentId: under(e.stepId),
      kind: "sandbox",
      name: `sandbox ${e.language} (${e.provider})`,
      status: e.outcome === "ok" ? "ok" : "error",
      startMs: start,
      endMs: e.durationMs === null ? null : start + e.durationMs,
      attributes: {
        "wflo.sandbox.provider": e.provider,
        "wflo.sandbox.language": e.language,
        "wflo.sandbox.outcome": e.outcome,
        "wflo.sandbox.exit_code": e.exitCode,
        "wflo.sandbox.signal": e.signal,
        ...flatAttrs(e.limits as Record<string, unknown>, "wflo.sandbox.limits"),
      },
      input: cap({ code: e.code }),
      output: cap({ stdout: e.stdout, stderr: e.stderr, files: e.files }),
      error: e.outcome === "ok" ? null : { name: e.outcome, message: redact(e.error ?? `sandbox ${e.outcome}`) },
    });
  }

  for (const a of gates) {
    const decided = a.decidedAt ?? (a.status === "auto_approved" || a.status === "denied" ? a.createdAt : null);
    out.push({
      id: `approval:${a.id}`,
      parentId: under(`approval:${a.gate}`),
      kind: "approval",
      name: `approval ${a.gate}`,
      status:
        a.status === "pending" ? "running" : a.status === "approved" || a.status === "auto_approved" ? "ok" : "error",
      startMs: a.createdAt.getTime(),
      endMs: ms(decided),
      attributes: {
        "wflo.approval.status": a.status,
        "wflo.approval.action": a.action,
        "wflo.approval.risk": a.risk,
        "wflo.approval.decided_by": a.decidedByEmail,
        "wflo.approval.policy_rule": a.policyRule,
        "wflo.approval.comment": a.decisionComment,
      },
      input: cap({ summary: a.summary, details: a.details, payload: a.payload }),
      output: cap(a.editedPayload ? { editedPayload: a.editedPayload } : null),
    });
  }

  for (const c of snaps) {
    const at = c.createdAt.getTime();
    out.push({
      id: `checkpoint:${c.id}`,
      parentId: under(c.stepId),
      kind: "checkpoint",
      name: `checkpoint ${c.name} v${c.version}`,
      status: "ok",
      startMs: at,
      endMs: at,
      attributes: { "wflo.checkpoint.name": c.name, "wflo.checkpoint.version": c.version },
      output: cap(c.state),
    });
  }

  // Ingested spans: ids are prefixed so they never collide with the assembled ones; a parent that
  // never arrived (or is in another batch not yet stored) leaves the span under the root.
  const extraIds = new Set(extra.map((s) => s.spanId));
  const hasRoot = Boolean(run);
  for (const s of extra) {
    const parentKnown = s.parentSpanId !== null && extraIds.has(s.parentSpanId);
    out.push({
      id: `otel:${s.spanId}`,
      parentId: parentKnown ? `otel:${s.parentSpanId}` : hasRoot ? rootId : null,
      kind: s.kind,
      name: s.name,
      status: s.status === "unset" && s.endedAt === null ? "running" : s.status,
      startMs: s.startedAt.getTime(),
      endMs: ms(s.endedAt),
      attributes: redact(flatAttrs(s.attributes)),
      // An LLM span shows its prompt and answer as `llm.request` / `llm.response`, not twice.
      input: s.kind === "llm" ? undefined : cap(s.input),
      output: s.kind === "llm" ? undefined : cap(s.output),
      error: s.error ? redact(s.error) : undefined,
      ...(s.kind === "llm"
        ? {
            llm: {
              provider: String(s.attributes["gen_ai.system"] ?? s.attributes["gen_ai.provider.name"] ?? "unknown"),
              model: s.model ?? "unknown",
              inputTokens: s.inputTokens ?? 0,
              outputTokens: s.outputTokens ?? 0,
              cachedInputTokens: 0,
              reasoningTokens: 0,
              costNano: s.costNano === null ? null : s.costNano.toString(),
              simulated: false,
              request: s.input === null ? null : capValue(s.input),
              response: s.output === null ? null : capValue(s.output),
            },
          }
        : {}),
    });
  }

  const ends = out.map((s) => s.endMs ?? Date.now());
  const terminal = run ? TERMINAL.has(run.status) : true;
  return {
    traceId: runId,
    runId,
    workflowId:
      run?.workflowId ??
      (typeof extra[0]?.attributes["service.name"] === "string" ? String(extra[0]?.attributes["service.name"]) : null),
    status: run?.status ?? "completed",
    terminal,
    spans: out,
    summary: summarize(
      out,
      run ? (run.endedAt ? run.endedAt.getTime() - runStart : Date.now() - runStart) : Math.max(...ends) - runStart,
    ),
  };
}
