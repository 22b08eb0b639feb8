import { randomUUID } from "node:crypto";
import { DomainError } from "@/server/errors";
import { eq } from "drizzle-orm";
import { getDb } from "@/db/client";
import { runs, type Run } from "@/db/schema";
import { registryCatalog } from "@/inngest/catalog";
import { provideWorkflowCatalog } from "@/server/workflows/workflow-catalog";
import { adapterFor } from "@/server/adapters/frameworks";
import type { WfloFunction } from "@/server/adapters/frameworks/function";
import { getCostBreakdown as costBreakdownOf, nanoToUsdNumber } from "@/server/governance";
import { runStopReason } from "@/server/runs/stop";
import type { BudgetBreach, BudgetScopeName } from "@/server/governance/errors";
import { rollbackToCheckpoint as checkpointState } from "@/server/recovery/service";
import { runsForEvent } from "@/server/runs/queries";
import { signEvent, withEnvelope } from "@/server/runs/envelope";
import type { BudgetPeriod } from "@/db/schema";
import { ensureWfloEnvironment } from "./environment";
import {
  BudgetExceededError,
  ExecutionDetachedError,
  WfloConnectionError,
  WfloOptionsError,
  WorkflowRunError,
} from "./errors";
import { attach, SDK_APP_PREFIX, triggerEventName, type Retries } from "./host";
import { engineEnd, engineRunsFor } from "./engine-probe";
import { checkedInputs, validated, type WfloWorkflowOptions } from "./workflow-options";

export type { WfloWorkflowOptions } from "./workflow-options";

export type ExecuteOptions = {
  /** Attach to this existing run (after the calling process crashed) instead of starting one: it resumes from its memoised steps. */
  executionId?: string;
  /** Starts at most one run per key and workflow: calling again with the same key attaches to that run (the engine deduplicates the trigger event). */
  idempotencyKey?: string;
  /** Stop waiting (rejects with ExecutionDetachedError); the run itself goes on, durably. */
  signal?: AbortSignal;
};

export type CostLine = { calls: number; inputTokens: number; outputTokens: number; costUsd: number; costNano: bigint };

/** The reference's `get_cost_breakdown()`: totals in USD numbers for people, exact nano-dollars beside them. */
export type CostBreakdown = {
  executionId: string;
  totalUsd: number;
  budgetUsd: number | null;
  remainingUsd: number | null;
  exceeded: boolean;
  /** Held by calls still in flight. */
  reservedUsd: number;
  calls: number;
  simulatedCalls: number;
  failedCalls: number;
  totalNano: bigint;
  budgetNano: bigint | null;
  remainingNano: bigint | null;
  byModel: (CostLine & { provider: string; model: string })[];
  byStep: (CostLine & { stepId: string })[];
  byAgent: (CostLine & { agent: string | null })[];
};

// A script's process has no boot: the SDK is its composition root, and its hosts run wflo's
// middleware, which reads the served workflows (fingerprints) through the catalog.
provideWorkflowCatalog(registryCatalog, { ifNone: true });

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
/** A run the engine started shows up once its first request reaches this process; past this, ask the engine why not. */
const RUN_START_GRACE_MS = 30_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const line = (l: { calls: number; costNano: bigint; inputTokens: bigint; outputTokens: bigint }): CostLine => ({
  calls: l.calls,
  inputTokens: Number(l.inputTokens),
  outputTokens: Number(l.outputTokens),
  costUsd: nanoToUsdNumber(l.costNano),
  costNano: l.costNano,
});

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The budget facts the governance notification recorded when the run was stopped (server/governance/governed.ts). */
function breachOf(details: Record<string, unknown>): BudgetBreach | null {
  const nano = (k: string) => (typeof details[k] === "string" && /^\d+$/.test(details[k]) ? BigInt(details[k]) : null);
  const [limitNano, spentNano, reservedNano, requestedNano] = [
    nano("limitNano"),
    nano("spentNano"),
    nano("reservedNano"),
    nano("requestedNano"),
  ];
  if (limitNano === null || spentNano === null) return null;
  return {
    scope: (str(details.scope) ?? "run") as BudgetScopeName,
    scopeValue: str(details.scopeValue) ?? "",
    period: (str(details.period) ?? "lifetime") as BudgetPeriod,
    budgetId: str(details.budgetId),
    budgetName: str(details.budgetName),
    limitNano,
    spentNano,
    reservedNano: reservedNano ?? 0n,
    requestedNano: requestedNano ?? 0n,
  };
}

/**
 * The reference's `WfloWorkflow`: `await new WfloWorkflow({ name, budgetUsd }).execute(target, inputs)`
 * runs `target` as a durable wflo run on the engine, recorded in the control panel, held to
 * `budgetUsd`, and resolves with its output. `target` is an async function `(inputs, wflo) => result`
 * or any agent object a framework adapter supports (server/adapters/frameworks).
 */
export class WfloWorkflow {
  readonly name: string;
  readonly budgetUsd: number | undefined;
  private readonly budgetNano: bigint | undefined;
  private readonly retries: Retries;
  private readonly pollIntervalMs: number;
  private runId: string | undefined;

  constructor(opts: WfloWorkflowOptions) {
    const v = validated(opts, registryCatalog);
    this.name = v.name;
    this.budgetNano = v.budgetNano;
    this.budgetUsd = v.budgetNano === undefined ? undefined : nanoToUsdNumber(v.budgetNano);
    this.retries = v.retries;
    this.pollIntervalMs = v.pollIntervalMs;
  }

  /** The wflo run id of the last `execute` (set as soon as the run exists); the run page is /runs/<executionId>. */
  get executionId(): string | undefined {
    return this.runId;
  }

  execute<I, O>(target: WfloFunction<I, O>, inputs?: I, opts?: ExecuteOptions): Promise<Awaited<O>>;
  execute(target: unknown, inputs?: Record<string, unknown>, opts?: ExecuteOptions): Promise<unknown>;
  async execute(target: unknown, inputs?: unknown, opts: ExecuteOptions = {}): Promise<unknown> {
    // Refused here, before any run exists: nothing on the engine could run it either.
    adapterFor(target);
    const input = checkedInputs(inputs);
    if (opts.executionId !== undefined && (typeof opts.executionId !== "string" || !opts.executionId.trim()))
      throw new WfloOptionsError("executionId: must be the id of a run of this workflow");
    if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(opts.idempotencyKey)) {
      throw new WfloOptionsError("idempotencyKey: must be 1-128 letters, digits, _ . : or -");
    }
    opts.signal?.throwIfAborted();
    await ensureWfloEnvironment();
    const db = getDb();

    let eventId: string;
    if (opts.executionId) {
      const [run] = await db.select().from(runs).where(eq(runs.id, opts.executionId));
      if (!run) throw new WfloOptionsError(`executionId: no run with id ${opts.executionId}`);
      if (run.workflowId !== this.name)
        throw new WfloOptionsError(
          `executionId: run ${run.id} belongs to workflow "${run.workflowId}", not "${this.name}"`,
        );
      this.runId = run.id;
      if (TERMINAL.has(run.status)) return this.outcome(run);
      if (!run.eventId) throw new WfloOptionsError(`executionId: run ${run.id} has no trigger event to resume from`);
      eventId = run.eventId;
    } else {
      this.runId = undefined;
      eventId = opts.idempotencyKey ? `wflo-sdk-${this.name}-${opts.idempotencyKey}` : randomUUID();
    }

    // The target is served before the event is sent, so the engine's first request finds it.
    const attachment = await attach(this.name, this.retries, eventId, target);
    try {
      if (!opts.executionId) {
        // Signed for this event id: the run's budget is believed only from a wflo-signed envelope.
        await attachment.client.send(
          signEvent({
            id: eventId,
            name: triggerEventName(this.name),
            data: withEnvelope(input, this.budgetNano === undefined ? {} : { budgetNano: this.budgetNano.toString() }),
          }),
        );
        const sentAt = Date.now();
        const found = await this.poll(opts.signal, async () => {
          const id = (await runsForEvent(db, eventId))[0]?.id;
          if (id === undefined && Date.now() - sentAt > RUN_START_GRACE_MS && (await engineRunsFor(eventId)) === 0) {
            throw new WfloConnectionError(
              `the engine took the event for workflow "${this.name}" (${eventId}) but started no run: is the workflow synced? (its app is ${SDK_APP_PREFIX}${this.name})`,
            );
          }
          return id;
        }).catch(async (err: unknown) => {
          // Detached between polls: the run may exist already, and its id is what resuming needs.
          if (!(err instanceof ExecutionDetachedError) || err.executionId) throw err;
          const id = (await runsForEvent(db, eventId))[0]?.id;
          if (!id) throw err;
          this.runId = id;
          throw new ExecutionDetachedError(id);
        });
        this.runId = found;
      }
      return this.outcome(await this.finished(this.runId!, opts.signal));
    } finally {
      await attachment.detach();
    }
  }

  /** Polls `probe` until it returns something; an abort stops waiting. */
  private async poll<T>(signal: AbortSignal | undefined, probe: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
      if (signal?.aborted) throw new ExecutionDetachedError(this.runId);
      const v = await probe();
      if (v !== undefined) return v;
      await pause(this.pollIntervalMs);
    }
  }

  /**
   * Until the run is terminal as wflo recorded it. The panel's lifecycle function settles runs the
   * engine ended without the SDK answering (retries used up on a dead process, say); without the
   * panel's app serving that function, the embedded engine's own record is read as well.
   */
  private async finished(runId: string, signal: AbortSignal | undefined): Promise<Run> {
    const db = getDb();
    let polls = 0;
    let engineEnded:
      | { status: "failed" | "cancelled"; error: { name: string; message: string } | null; seen: number }
      | undefined;
    return this.poll(signal, async () => {
      const [run] = await db.select().from(runs).where(eq(runs.id, runId));
      if (run && TERMINAL.has(run.status)) return run;
      polls++;
      if (engineEnded && Date.now() - engineEnded.seen > 2_000 && run)
        return { ...run, status: engineEnded.status, error: engineEnded.error };
      if (!engineEnded && polls % 20 === 0) engineEnded = await engineEnd(runId);
      return undefined;
    });
  }

  private async outcome(run: Run): Promise<unknown> {
    if (run.status === "completed") return run.output;
    if (run.status === "failed") {
      const stop = await runStopReason(getDb(), run.id);
      if (stop?.kind === "budget_exceeded") {
        const details = (stop.details ?? {}) as Record<string, unknown>;
        const breach = breachOf(details);
        if (breach) throw new BudgetExceededError(run.id, breach, str(details.stepId));
      }
    }
    throw new WorkflowRunError({
      executionId: run.id,
      workflow: this.name,
      status: run.status === "cancelled" ? "cancelled" : "failed",
      runError: run.error ? { name: run.error.name, message: run.error.message } : null,
    });
  }

  private requireRun(what: string): string {
    if (!this.runId) throw new WfloOptionsError(`${what}: this workflow has no run yet; call execute(...) first`);
    return this.runId;
  }

  /** The reference's `get_cost_breakdown()`: what the run's recorded LLM calls cost, against its budget, by model, step and agent. */
  async getCostBreakdown(): Promise<CostBreakdown> {
    const runId = this.requireRun("getCostBreakdown");
    await ensureWfloEnvironment();
    const b = await costBreakdownOf(getDb(), runId);
    // Before the run's first governed call no budget counter exists yet: the run's budget is this workflow's.
    const budgetNano = b.budgetNano ?? this.budgetNano ?? null;
    const remainingNano = budgetNano === null ? null : budgetNano - b.totalNano;
    return {
      executionId: runId,
      totalUsd: nanoToUsdNumber(b.totalNano),
      budgetUsd: budgetNano === null ? null : nanoToUsdNumber(budgetNano),
      remainingUsd: remainingNano === null ? null : nanoToUsdNumber(remainingNano),
      exceeded: budgetNano !== null && b.totalNano > budgetNano,
      reservedUsd: nanoToUsdNumber(b.reservedNano),
      calls: b.calls,
      simulatedCalls: b.simulatedCalls,
      failedCalls: b.failedCalls,
      totalNano: b.totalNano,
      budgetNano,
      remainingNano,
      byModel: b.byModel.map((l) => ({ provider: l.provider, model: l.model, ...line(l) })),
      byStep: b.byStep.map((l) => ({ stepId: l.stepId, ...line(l) })),
      byAgent: b.byAgent.map((l) => ({ agent: l.agent, ...line(l) })),
    };
  }

  /**
   * The reference's `rollback_to_checkpoint(name)`: the state the run saved under checkpoint
   * `name` (its latest version, or `version`), to inspect or continue from. The run itself is
   * not changed; fork it from the checkpoint in the control panel to re-run from there.
   */
  async rollbackToCheckpoint<T = unknown>(name: string, version?: number): Promise<T> {
    const runId = this.requireRun("rollbackToCheckpoint");
    if (typeof name !== "string" || !name.trim()) throw new WfloOptionsError("name: the checkpoint's name is required");
    await ensureWfloEnvironment();
    try {
      return (await checkpointState(getDb(), runId, name, version)).state as T;
    } catch (e) {
      if (e instanceof DomainError) throw new WfloOptionsError(e.message);
      throw e;
    }
  }
}
