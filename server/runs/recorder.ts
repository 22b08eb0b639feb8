import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { runs, runSteps, TERMINAL_RUN_STATUSES, type RecordedError, type RunStatus } from "@/db/schema";
import { log } from "@/server/log";
import { attributionOf } from "./attribution";
import { readEnvelope } from "./envelope";

/**
 * Idempotent writes of run and step state. The SDK replays every earlier step on each request
 * and retries whole requests, so each write is an upsert that never moves a record backwards
 * (a completed step is not "running" again because a replay passed by it).
 */

/** Step and run payloads are capped so one chatty step cannot bloat the table or the UI. */
export const MAX_RECORDED_BYTES = 32 * 1024;

export type CappedValue = { truncated: true; bytes: number; preview: string };

/**
 * Text as PostgreSQL can store it: jsonb refuses NUL (U+0000) and a lone surrogate cannot be
 * encoded, so both become U+FFFD. Replaced, not refused: what a step returned or threw already
 * happened, and its record must still be written.
 */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
export function storableText(s: string): string {
  return s.replaceAll("\0", "\uFFFD").replace(LONE_SURROGATES, "\uFFFD");
}
const storableStrings = (_k: string, v: unknown) => (typeof v === "string" ? storableText(v) : v);

/** The value as it will be stored: JSON-normalised, or a truncated preview when too large. */
export function capValue(value: unknown, max = MAX_RECORDED_BYTES): unknown {
  if (value === undefined) return null;
  let json: string;
  try {
    json = JSON.stringify(value, storableStrings) ?? "null";
  } catch {
    return { truncated: true, bytes: 0, preview: String(value).slice(0, 1000) } satisfies CappedValue;
  }
  const bytes = Buffer.byteLength(json);
  if (bytes <= max) return JSON.parse(json) as unknown;
  return { truncated: true, bytes, preview: json.slice(0, Math.floor(max / 2)) } satisfies CappedValue;
}

/** Errors arrive as Error instances (hooks) or as Inngest's serialised JSON (responses, events). */
export function toRecordedError(err: unknown): RecordedError {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; error?: unknown };
    if (typeof e.message === "string" || typeof e.name === "string") {
      return {
        name: typeof e.name === "string" ? storableText(e.name) : "Error",
        message: typeof e.message === "string" ? storableText(e.message) : "",
        ...(typeof e.stack === "string" && e.stack ? { stack: storableText(e.stack.slice(0, 4000)) } : {}),
      };
    }
    if (typeof e.error === "string") return { name: "Error", message: storableText(e.error) };
  }
  return {
    name: "Error",
    message: storableText(typeof err === "string" ? err : JSON.stringify(err ?? null).slice(0, 1000)),
  };
}

const terminal: RunStatus[] = [...TERMINAL_RUN_STATUSES];
const isTerminalSql = (col: typeof runs.status | typeof runSteps.status) =>
  sql`${col} in ('completed', 'failed', 'cancelled')`;

export type TriggerEvent = { id?: string | null; name: string; data?: unknown };

export type RunIdentity = {
  runId: string;
  workflowId: string;
  event: TriggerEvent;
  attempt: number;
  /** One of wflo's scheduled system workflows (runs.system): kept out of lists and stats. */
  system?: boolean;
};

/**
 * Creates the run row on its first request; on later ones marks it running again and counts
 * attempts. Later requests (every step of every run) cost one update; only the first reads the
 * envelope's verdict and, without a signed attribution, the sender of the event.
 */
export async function recordRequestStart(db: DbOrTx, r: RunIdentity): Promise<void> {
  const advanced = await db
    .update(runs)
    .set({
      status: sql`case when ${isTerminalSql(runs.status)} then ${runs.status} else 'running'::run_status end`,
      attempts: sql`greatest(${runs.attempts}, ${r.attempt + 1})`,
      updatedAt: sql`now()`,
    })
    .where(eq(runs.id, r.runId))
    .returning({ id: runs.id });
  if (advanced.length > 0) return;
  const { input, envelope, dropped } = readEnvelope(r.event);
  const attribution = await attributionOf(db, r.event, envelope);
  const [created] = await db
    .insert(runs)
    .values({
      id: r.runId,
      workflowId: r.workflowId,
      status: "running",
      eventName: r.event.name,
      eventId: r.event.id ?? null,
      input: capValue(input),
      ...attribution,
      rerunOf: envelope.rerunOf ?? null,
      budgetNano: envelope.budgetNano === undefined ? null : BigInt(envelope.budgetNano),
      system: r.system ?? false,
      attempts: r.attempt + 1,
    })
    .onConflictDoUpdate({
      target: runs.id,
      set: {
        status: sql`case when ${isTerminalSql(runs.status)} then ${runs.status} else 'running'::run_status end`,
        attempts: sql`greatest(${runs.attempts}, excluded.attempts)`,
        updatedAt: sql`now()`,
      },
    })
    // xmax = 0 only on a row this statement inserted: the warning is written once per run.
    .returning({ inserted: sql<boolean>`(xmax = 0)` });
  if (dropped && created?.inserted)
    warnDropped(
      r,
      dropped,
      attribution.triggeredByKind === "event_key"
        ? `event key ${attribution.triggeredByEventKey}`
        : String(attribution.triggeredByKind),
    );
}

function warnDropped(r: Omit<RunIdentity, "attempt">, reason: string, heldTo: string) {
  log.warn(
    {
      runId: r.runId,
      workflowId: r.workflowId,
      event: r.event.name,
      eventId: r.event.id ?? null,
      reason,
      attributedTo: heldTo,
    },
    `wflo: run ${r.runId} ignores its event's _wflo envelope (${reason}); it is attributed to ${heldTo}, with no run budget, approval requirement or re-run/fork link from the envelope`,
  );
}

export type MemoizedState = Record<string, { data?: unknown; error?: unknown }>;

/**
 * Steps the SDK never reports finishing (sleep, waitForEvent, invoke, planned parallel steps)
 * are finished when their result first shows up in the memoized state of a later request.
 */
export async function recordMemoizedSteps(db: DbOrTx, runId: string, memoized: MemoizedState): Promise<void> {
  const ids = Object.keys(memoized);
  if (ids.length === 0) return;
  const open = await db
    .select({ hashedId: runSteps.hashedId })
    .from(runSteps)
    .where(and(eq(runSteps.runId, runId), inArray(runSteps.hashedId, ids), notInArray(runSteps.status, terminal)));
  for (const { hashedId } of open) {
    const m = memoized[hashedId];
    if (!m) continue;
    const failed = m.error !== undefined && m.data === undefined;
    await db
      .update(runSteps)
      .set({
        status: failed ? "failed" : "completed",
        output: failed ? null : capValue(m.data),
        error: failed ? toRecordedError(m.error) : null,
        endedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(runSteps.runId, runId), eq(runSteps.hashedId, hashedId), notInArray(runSteps.status, terminal)));
  }
}

export type StepIdentity = { hashedId: string; stepId: string; name: string; kind: string };

type StepWrite = {
  status: RunStatus;
  attempt: number;
  detail?: unknown;
  output?: unknown;
  error?: RecordedError | null;
  ended?: boolean;
};

/**
 * Inserts or advances one step. A terminal step only changes to another terminal state
 * (a retried failure that succeeds); replays of older news leave it alone.
 */
export async function upsertStep(db: DbOrTx, runId: string, step: StepIdentity, w: StepWrite): Promise<void> {
  const endedAt = w.ended ? sql`now()` : null;
  const isNewTerminal = terminal.includes(w.status);
  await db
    .insert(runSteps)
    .values({
      runId,
      hashedId: step.hashedId,
      stepId: step.stepId,
      name: step.name,
      kind: step.kind,
      status: w.status,
      attempts: w.attempt + 1,
      detail: w.detail === undefined ? null : capValue(w.detail),
      output: w.output === undefined ? null : capValue(w.output),
      error: w.error ?? null,
      position: sql`(select coalesce(max(${runSteps.position}) + 1, 0) from ${runSteps} where ${runSteps.runId} = ${runId})`,
      endedAt,
    })
    .onConflictDoUpdate({
      target: [runSteps.runId, runSteps.hashedId],
      set: {
        status: sql`excluded.status`,
        attempts: sql`greatest(${runSteps.attempts}, excluded.attempts)`,
        detail: sql`coalesce(excluded.detail, ${runSteps.detail})`,
        output: w.output === undefined ? sql`${runSteps.output}` : sql`excluded.output`,
        error: w.error === undefined ? sql`${runSteps.error}` : sql`excluded.error`,
        endedAt: w.ended ? sql`now()` : sql`${runSteps.endedAt}`,
        updatedAt: sql`now()`,
      },
      // Replays and late duplicates must not reopen or rewrite a finished step.
      setWhere: isNewTerminal
        ? sql`${runSteps.status} <> 'completed'`
        : w.status === "queued"
          ? sql`${runSteps.status} = 'queued'`
          : sql`not ${isTerminalSql(runSteps.status)}`,
    });
}

/** A status for the run between requests; never overrides a terminal one. */
export async function setRunProgress(
  db: DbOrTx,
  runId: string,
  status: "running" | "sleeping" | "waiting",
  lastError?: RecordedError,
): Promise<void> {
  await db
    .update(runs)
    .set({ status, ...(lastError ? { error: lastError } : {}), updatedAt: sql`now()` })
    .where(and(eq(runs.id, runId), notInArray(runs.status, terminal)));
}

export type RunOutcome =
  | { status: "completed"; output: unknown }
  | { status: "failed"; error: RecordedError }
  | { status: "cancelled" };

/**
 * Finishes a run. Completed and failed only land on a live run; cancelled also overrides
 * "failed", because a cancelled run is reported finished-with-error before (or after) the
 * cancellation itself arrives.
 */
export async function finishRun(db: DbOrTx, runId: string, outcome: RunOutcome): Promise<void> {
  const guard =
    outcome.status === "cancelled"
      ? and(eq(runs.id, runId), notInArray(runs.status, ["completed", "cancelled"]))
      : and(eq(runs.id, runId), notInArray(runs.status, terminal));
  const updated = await db
    .update(runs)
    .set({
      status: outcome.status,
      output: outcome.status === "completed" ? capValue(outcome.output) : null,
      error: outcome.status === "failed" ? outcome.error : outcome.status === "completed" ? null : undefined,
      endedAt: sql`now()`,
      updatedAt: sql`now()`,
    })
    .where(guard)
    .returning({ id: runs.id });
  if (updated.length && outcome.status === "cancelled") {
    await db
      .update(runSteps)
      .set({ status: "cancelled", endedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(runSteps.runId, runId), notInArray(runSteps.status, terminal)));
  }
}

/** For lifecycle events about runs the middleware never saw (cancelled before their first request). */
export async function ensureRun(db: DbOrTx, r: Omit<RunIdentity, "attempt">): Promise<void> {
  const [exists] = await db.select({ id: runs.id }).from(runs).where(eq(runs.id, r.runId));
  if (exists) return;
  const { input, envelope } = readEnvelope(r.event);
  await db
    .insert(runs)
    .values({
      id: r.runId,
      workflowId: r.workflowId,
      status: "queued",
      eventName: r.event.name,
      eventId: r.event.id ?? null,
      input: capValue(input),
      ...(await attributionOf(db, r.event, envelope)),
      rerunOf: envelope.rerunOf ?? null,
      budgetNano: envelope.budgetNano === undefined ? null : BigInt(envelope.budgetNano),
    })
    .onConflictDoNothing();
}
