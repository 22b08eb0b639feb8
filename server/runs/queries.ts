/** Reading runs: the filtered, cursor-paged list, one run with its steps, the runs an event started, per-workflow counts. */

import { DomainError, fieldError } from "@/server/errors";
import { and, asc, desc, eq, gte, ilike, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { Database } from "@/db/client";
import { runs, runSteps, TERMINAL_RUN_STATUSES, type RunStatus } from "@/db/schema";
import { assertRunInScope } from "@/server/apikeys/scope";
import { type Principal, workflowScopeOf } from "@/server/auth/principal";
import { triggerLabel } from "./attribution";
import type { listRunsInput } from "./schemas";
import { redact } from "@/server/tracing/redact";
import { workflowCatalog } from "@/server/workflows/workflow-catalog";

export const isTerminal = (s: RunStatus) => (TERMINAL_RUN_STATUSES as readonly RunStatus[]).includes(s);

type Cursor = { startedAt: string; id: string };

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.id])).toString("base64url");
}

function decodeCursor(raw: string): Cursor {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(raw, "base64url").toString()) as unknown[];
    if (typeof startedAt === "string" && typeof id === "string" && !Number.isNaN(Date.parse(startedAt)))
      return { startedAt, id };
  } catch {
    // fall through to the error below
  }
  throw fieldError("bad_request", "cursor", "cursor is malformed; start again from the first page");
}

/** What `viewer` may see: a workflow-scoped API key lists only its workflows' runs. */
export async function listRuns(db: Database, viewer: Principal, input: z.output<typeof listRunsInput>) {
  const where: SQL[] = [];
  const scope = workflowScopeOf(viewer);
  if (scope) where.push(scope.length ? inArray(runs.workflowId, [...scope]) : sql`false`);
  // wflo's own scheduled runs tick every minute: shown only when asked for, or they drown the rest.
  if (!input.system) where.push(eq(runs.system, false));
  if (input.workflowId) where.push(eq(runs.workflowId, input.workflowId));
  if (input.status) where.push(eq(runs.status, input.status));
  if (input.triggeredBy) {
    const pattern = `%${input.triggeredBy.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // A person's email, or the event key a run is attributed to (never the two confused: triggered_by_kind).
    where.push(or(ilike(runs.triggeredByEmail, pattern), ilike(runs.triggeredByEventKey, pattern))!);
  }
  if (input.from) where.push(gte(runs.startedAt, input.from));
  if (input.to) where.push(lte(runs.startedAt, input.to));
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    // Compared in PostgreSQL's own microsecond precision: a JS Date would round and skip rows.
    where.push(sql`(${runs.startedAt}, ${runs.id}) < (${c.startedAt}::timestamptz, ${c.id})`);
  }
  const rows = await db
    .select({
      id: runs.id,
      workflowId: runs.workflowId,
      status: runs.status,
      eventName: runs.eventName,
      triggeredByEmail: runs.triggeredByEmail,
      triggeredByKind: runs.triggeredByKind,
      triggeredByEventKey: runs.triggeredByEventKey,
      rerunOf: runs.rerunOf,
      system: runs.system,
      attempts: runs.attempts,
      startedAt: runs.startedAt,
      endedAt: runs.endedAt,
      errorMessage: sql<string | null>`${runs.error}->>'message'`,
      cursorTs: sql<string>`${runs.startedAt}::text`,
    })
    .from(runs)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(runs.startedAt), desc(runs.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  const catalog = await workflowCatalog();
  const workflowName = (id: string) => catalog.find(id)?.name ?? id;
  return {
    items: page.map(({ cursorTs: _c, ...r }) => ({
      ...r,
      triggeredByLabel: triggerLabel(r),
      workflowName: workflowName(r.workflowId),
    })),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ startedAt: last.cursorTs, id: last.id }) : undefined,
  };
}

const hasSimulatedOutput = (v: unknown) =>
  Boolean(v && typeof v === "object" && (v as { simulated?: unknown }).simulated === true);

/** A run out of a scoped key's workflows answers 404, as if it did not exist. */
export async function getRun(db: Database, viewer: Principal, runId: string) {
  await assertRunInScope(db, viewer, runId, "read");
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new DomainError("not_found", `no run with id ${runId}`);
  const steps = await db
    .select()
    .from(runSteps)
    .where(eq(runSteps.runId, runId))
    .orderBy(asc(runSteps.position), asc(runSteps.startedAt));
  const wf = (await workflowCatalog()).find(run.workflowId);
  // Redacted on the way out, not at rest: replay, compensation and re-runs need the recorded
  // values as they were, but a secret a step returned or threw must not reach a page or an API client.
  return redact({
    run: {
      ...run,
      triggeredByLabel: triggerLabel(run),
      workflowName: wf?.name ?? run.workflowId,
      terminal: isTerminal(run.status),
    },
    steps: steps.map((s) => ({ ...s, simulated: hasSimulatedOutput(s.output) })),
    simulated: hasSimulatedOutput(run.output) || steps.some((s) => hasSimulatedOutput(s.output)),
    workflow: wf ? { id: wf.id, name: wf.name, usesLlm: Boolean(wf.usesLlm) } : null,
  });
}

/** The runs an event started: how the panel finds the run it just triggered. */
export async function runsForEvent(db: Database, eventId: string) {
  return db
    .select({ id: runs.id, workflowId: runs.workflowId, status: runs.status })
    .from(runs)
    .where(eq(runs.eventId, eventId))
    .orderBy(asc(runs.startedAt));
}

/** Per-workflow counts for the workflows page (people's workflows: system runs are not counted). */
export async function workflowRunStats(db: Database) {
  const rows = await db
    .select({
      workflowId: runs.workflowId,
      total: sql<number>`count(*)::int`,
      active: sql<number>`(count(*) filter (where ${runs.status} not in ('completed', 'failed', 'cancelled')))::int`,
      failed: sql<number>`(count(*) filter (where ${runs.status} = 'failed'))::int`,
      lastStartedAt: sql<Date | null>`max(${runs.startedAt})`.mapWith(runs.startedAt),
    })
    .from(runs)
    .where(eq(runs.system, false))
    .groupBy(runs.workflowId);
  return new Map(rows.map((r) => [r.workflowId, r]));
}
