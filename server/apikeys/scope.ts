import { DomainError, fieldError } from "@/server/errors";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { approvals, reservations, runs } from "@/db/schema";
import { type Principal, workflowScopeOf } from "@/server/auth/principal";

/**
 * Workflow scope of an API key (api_keys.workflow_ids). A scoped key acts only on runs,
 * approvals, LLM calls and budget reservations of its workflows:
 * - reading something outside the scope answers 404, exactly as if it did not exist (a scoped
 *   key learns nothing about other workflows), and lists leave it out;
 * - acting on it (trigger, cancel, decide, record, settle) answers 403 naming the workflow, so
 *   the caller can tell a scope problem from a typo.
 * A key with no scope (null) acts on every workflow, as people do. The services that act on runs
 * check it themselves (assertRunInScope, assertWorkflowInScope in server/runs/service.ts); the
 * REST routes that read or report go through these helpers.
 */

type Scoped = Principal;

export function inScope(actor: Scoped, workflowId: string | null | undefined): boolean {
  const scope = workflowScopeOf(actor);
  return scope === null || (workflowId != null && scope.includes(workflowId));
}

function scopeText(actor: Scoped): string {
  return (workflowScopeOf(actor) ?? []).map((w) => `"${w}"`).join(", ");
}

/** 403 unless `workflowId` is in the key's scope; `field` is the input field that named it. */
export function assertWorkflowInScope(actor: Scoped, workflowId: string, field = "workflowId"): void {
  if (inScope(actor, workflowId)) return;
  throw fieldError(
    "forbidden",
    field,
    `this API key is limited to the workflows ${scopeText(actor)}; "${workflowId}" is not one of them`,
  );
}

/** For list filters: null (no filter) or the workflows the key may see. */
export const scopeFilter = (actor: Scoped): readonly string[] | null => workflowScopeOf(actor);

export type ScopeMode = "read" | "act";

function notFound(what: string, id: string): DomainError {
  return new DomainError("not_found", `no ${what} with id ${id}`);
}

/** The run's workflow, after the scope check: 404 for a run that does not exist or (reading) is out of scope, 403 (acting) naming its workflow. */
export async function runInScope(
  db: DbOrTx,
  actor: Scoped,
  runId: string,
  mode: ScopeMode,
): Promise<{ workflowId: string }> {
  const [run] = await db.select({ workflowId: runs.workflowId }).from(runs).where(eq(runs.id, runId));
  if (!run) throw notFound("run", runId);
  if (!inScope(actor, run.workflowId)) {
    if (mode === "read") throw notFound("run", runId);
    assertWorkflowInScope(actor, run.workflowId, "id");
  }
  return run;
}

/** For a service acting on a run: nothing for an unscoped principal (the service's own lookup answers 404), else runInScope. */
export async function assertRunInScope(db: DbOrTx, actor: Scoped, runId: string, mode: ScopeMode): Promise<void> {
  if (workflowScopeOf(actor) !== null) await runInScope(db, actor, runId, mode);
}

/** As runInScope, for an approval (its workflow, or an external request's workflow label). */
export async function approvalInScope(
  db: DbOrTx,
  actor: Scoped,
  approvalId: string,
  mode: ScopeMode,
): Promise<{ workflowId: string }> {
  if (workflowScopeOf(actor) === null) return { workflowId: "" };
  const [a] = await db.select({ workflowId: approvals.workflowId }).from(approvals).where(eq(approvals.id, approvalId));
  if (!a) throw notFound("approval", approvalId);
  if (!inScope(actor, a.workflowId)) {
    if (mode === "read") throw notFound("approval", approvalId);
    assertWorkflowInScope(actor, a.workflowId, "id");
  }
  return a;
}

/**
 * An LLM call, reservation or span a scoped key reports: it must say which workflow it is for
 * (`workflow`), that workflow must be in scope, and a `runId` that names a wflo run must be a run
 * of an in-scope workflow (a key cannot charge or annotate another workflow's run).
 */
export async function assertCallInScope(
  db: DbOrTx,
  actor: Scoped,
  call: { runId?: string | null; workflow?: string | null },
  fields = { runId: "runId", workflow: "workflow" },
): Promise<void> {
  if (workflowScopeOf(actor) === null) return;
  if (!call.workflow)
    throw fieldError(
      "forbidden",
      fields.workflow,
      `this API key is limited to the workflows ${scopeText(actor)}; name one of them in ${fields.workflow}`,
    );
  assertWorkflowInScope(actor, call.workflow, fields.workflow);
  if (!call.runId) return;
  const [run] = await db.select({ workflowId: runs.workflowId }).from(runs).where(eq(runs.id, call.runId));
  if (run && !inScope(actor, run.workflowId)) assertWorkflowInScope(actor, run.workflowId, fields.runId);
}

/** A reservation being settled: 404 if unknown or (for a scoped key) held for another workflow's call. */
export async function reservationInScope(db: DbOrTx, actor: Scoped, reservationId: string): Promise<void> {
  if (workflowScopeOf(actor) === null) return;
  const [r] = await db
    .select({ workflow: reservations.workflow })
    .from(reservations)
    .where(eq(reservations.id, reservationId));
  if (!r || !inScope(actor, r.workflow))
    throw fieldError("not_found", "reservationId", `no reservation ${reservationId}`);
}
