/** Changing runs: trigger, cancel, re-run and send an event, each checked, audited and sent with wflo's envelope. */

import { DomainError, fieldError } from "@/server/errors";
import { and, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runs, runSteps, type Run } from "@/db/schema";
import { assertRunInScope, assertWorkflowInScope } from "@/server/apikeys/scope";
import type { Principal } from "@/server/auth/principal";
import { writeAudit } from "@/server/audit/chain";
import { breakerState } from "@/server/governance/guards/enforce";
import { nanoToUsdString } from "@/server/governance/money";
import { withEnvelope } from "./envelope";
import { cancelRemoteRun, sendEvent } from "./dispatch";
import { finishRun } from "./recorder";
import { reservedEventName } from "./reserved-names";
import { workflowCatalog, type WorkflowCatalog } from "@/server/workflows/workflow-catalog";
import { isTerminal } from "./queries";

function parseWorkflowInput(catalog: WorkflowCatalog, workflowId: string, raw: unknown) {
  const wf = catalog.find(workflowId);
  if (!wf) {
    throw fieldError(
      "bad_request",
      "workflowId",
      `no workflow named "${workflowId}"; this app serves ${catalog
        .list()
        .map((w) => w.id)
        .join(", ")}`,
    );
  }
  const parsed = wf.input.safeParse(raw);
  // The ZodError as cause: the formatter turns it into "field: rule" and per-field errors for the form.
  if (!parsed.success) throw DomainError.fromZod(parsed.error);
  return { wf, input: parsed.data as Record<string, unknown> };
}

const actorOf = (u: Principal) => ({ id: u.id, email: u.email });

/** A tripped runaway breaker pauses new runs of the workflow until an operator resets it. */
async function refuseWhileBreakerOpen(db: Database, workflowId: string) {
  const b = await breakerState(db, workflowId);
  if (b.open) {
    throw fieldError(
      "precondition_failed",
      "workflowId",
      `new runs of ${workflowId} are paused: its circuit breaker tripped${b.since ? ` at ${b.since.toISOString()}` : ""} (${b.reason ?? "runaway guard"}); an admin can reset it on the Budgets page`,
    );
  }
}

/** `user`: who triggers (a person, or an API key: 403 for a workflow outside its scope, before anything else). */
export async function triggerWorkflow(
  db: Database,
  user: Principal,
  workflowId: string,
  rawInput: unknown,
  budgetNano?: bigint,
  opts: { requireApproval?: boolean } = {},
) {
  assertWorkflowInScope(user, workflowId);
  const { wf, input } = parseWorkflowInput(await workflowCatalog(), workflowId, rawInput);
  await refuseWhileBreakerOpen(db, wf.id);
  // Sent first so the audit row can name the event; a refused send leaves nothing behind.
  const requireApproval = opts.requireApproval === true ? { requireApproval: true } : {};
  const eventId = await sendEvent(
    wf.event,
    withEnvelope(input, {
      triggeredBy: actorOf(user),
      ...(budgetNano !== undefined && { budgetNano: budgetNano.toString() }),
      ...requireApproval,
    }),
  );
  await db.transaction(async (tx) => {
    await writeAudit(tx, actorOf(user), {
      action: "run.trigger",
      targetType: "workflow",
      targetId: wf.id,
      after: { event: wf.event, eventId, input, ...requireApproval, ...budgetFacts(budgetNano) },
    });
  });
  return { eventId, workflowId: wf.id };
}

/** A run's own budget as its trigger / re-run audit row records it (exact nano-dollars, and USD for people). */
function budgetFacts(budgetNano: bigint | undefined) {
  return budgetNano === undefined ? {} : { budgetUsd: nanoToUsdString(budgetNano), budgetNano: budgetNano.toString() };
}

async function loadRun(db: Database, runId: string): Promise<Run> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run) throw new DomainError("not_found", `no run with id ${runId}`);
  return run;
}

/** A key may cancel only its workflows' runs (403 naming the workflow). */
export async function cancelRun(db: Database, user: Principal, runId: string) {
  await assertRunInScope(db, user, runId, "act");
  const run = await loadRun(db, runId);
  if (isTerminal(run.status)) throw new DomainError("precondition_failed", `run ${runId} is already ${run.status}`);
  await cancelRemoteRun(runId);
  // The server has accepted the cancellation; record it now rather than wait for its event.
  await db.transaction(async (tx) => {
    await finishRun(tx, runId, { status: "cancelled" });
    await writeAudit(tx, actorOf(user), {
      action: "run.cancel",
      targetType: "run",
      targetId: runId,
      before: { status: run.status },
      after: { status: "cancelled" },
    });
  });
  return { runId, status: "cancelled" as const };
}

/** `opts.budgetNano` replaces the repeated run's own budget for the re-run (the REST route's budget override). */
export async function rerunRun(db: Database, user: Principal, runId: string, opts: { budgetNano?: bigint } = {}) {
  await assertRunInScope(db, user, runId, "act");
  const run = await loadRun(db, runId);
  const catalog = await workflowCatalog();
  if (!catalog.find(run.workflowId)) {
    throw new DomainError(
      "precondition_failed",
      `workflow ${run.workflowId} is no longer served by this app, so run ${runId} cannot be re-run`,
    );
  }
  // Parsed again: the workflow's schema may have changed since the original run.
  const { wf, input } = parseWorkflowInput(catalog, run.workflowId, run.input ?? {});
  // A re-run is held to the same per-run budget as the run it repeats, unless the caller sets another.
  const budgetNano = opts.budgetNano ?? run.budgetNano ?? undefined;
  const eventId = await sendEvent(
    wf.event,
    withEnvelope(input, {
      triggeredBy: actorOf(user),
      rerunOf: runId,
      ...(budgetNano !== undefined && { budgetNano: budgetNano.toString() }),
    }),
  );
  await db.transaction(async (tx) => {
    await writeAudit(tx, actorOf(user), {
      action: "run.rerun",
      targetType: "run",
      targetId: runId,
      after: { event: wf.event, eventId, input, ...budgetFacts(budgetNano) },
    });
  });
  return { eventId, workflowId: wf.id, rerunOf: runId };
}

/** The events a run's open `waitForEvent` steps wait for, from what the middleware recorded. */
async function awaitedEvents(db: Database, runId: string): Promise<string[]> {
  const open = await db
    .select({ detail: runSteps.detail })
    .from(runSteps)
    .where(and(eq(runSteps.runId, runId), eq(runSteps.kind, "waitForEvent"), eq(runSteps.status, "waiting")));
  const names = open
    .map((s) => (s.detail as { event?: unknown } | null)?.event)
    .filter((e): e is string => typeof e === "string");
  return [...new Set(names)];
}

/**
 * Sends an event a run is waiting for (e.g. a reviewer's feedback), through the Inngest client
 * so it works on any Inngest server. Only events an open wait of the run names can be sent
 * here: this is "answer this run", not a way to emit arbitrary events as the panel. Whether
 * the data satisfies the wait's `if` expression is the server's call, as for any event.
 */
export async function sendEventToRun(
  db: Database,
  user: Principal,
  runId: string,
  name: string,
  data: Record<string, unknown>,
) {
  // Also here, not only in the router's schema: every caller of this verb is held to the rule.
  const reserved = reservedEventName(name);
  if (reserved) throw fieldError("bad_request", "name", `${reserved}`);
  const run = await loadRun(db, runId);
  if (isTerminal(run.status))
    throw new DomainError("precondition_failed", `run ${runId} is already ${run.status}; it waits for no event`);
  const awaited = await awaitedEvents(db, runId);
  if (awaited.length === 0) throw new DomainError("precondition_failed", `run ${runId} is not waiting for an event`);
  if (!awaited.includes(name)) {
    throw fieldError(
      "bad_request",
      "name",
      `run ${runId} is not waiting for "${name}"; it waits for ${awaited.map((e) => `"${e}"`).join(", ")}`,
    );
  }
  // Who sent it travels with the event, as with triggers; the workflow may show or check it.
  const eventId = await sendEvent(name, withEnvelope(data, { triggeredBy: actorOf(user) }));
  await db.transaction(async (tx) => {
    await writeAudit(tx, actorOf(user), {
      action: "run.send_event",
      targetType: "run",
      targetId: runId,
      after: { event: name, eventId, data },
    });
  });
  return { eventId, runId, name };
}
