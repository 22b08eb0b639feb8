import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { runFingerprints, runLinks, runSteps } from "@/db/schema";
import { readEnvelope, type EnvelopedEvent, type WfloEnvelope } from "@/server/runs/envelope";
import { log } from "@/server/log";
import { CHECKPOINT_STEP_PREFIX } from "./checkpoint";
import { currentFingerprint } from "./fingerprint";

/**
 * What wflo's middlewares do for recovery (inngest/middleware/recording.ts, fork-replay.ts): on every request of a run,
 * record its fork link and definition fingerprint; for a forked run, serve the parent's
 * recorded step results up to the fork point.
 */

export type ForkOf = NonNullable<WfloEnvelope["forkOf"]>;

/** A recorded output too large to store whole (recorder.capValue) cannot be served again. */
export const isTruncated = (v: unknown) =>
  Boolean(v && typeof v === "object" && (v as { truncated?: unknown }).truncated === true);

export type Served = {
  /** `step.run` results by hashed id: returned instead of running the handler. */
  runs: Map<string, unknown>;
  /** Sleeps and waits: shortened to 1s, then resolved to the recorded result. */
  waits: Map<string, unknown>;
};

/** How long a reused sleep or wait takes in the child: the shortest the SDK and servers accept. */
export const REUSED_WAIT = "1s";

/**
 * The parent's completed results up to the fork point, by hashed step id. Hashed ids come from
 * the step id and its repeat index only, so the same code in the child run asks for the same
 * ids. Checkpoint steps are left out: they are cheap and run again, so the child has its own
 * snapshots (and the fork checkpoint returns the edited state).
 */
export async function servedSteps(db: Database, forkOf: ForkOf): Promise<Served> {
  const rows = await db
    .select({ hashedId: runSteps.hashedId, stepId: runSteps.stepId, kind: runSteps.kind, output: runSteps.output })
    .from(runSteps)
    .where(
      and(
        eq(runSteps.runId, forkOf.runId),
        eq(runSteps.status, "completed"),
        inArray(runSteps.kind, ["run", "sleep", "waitForEvent", "waitForSignal"]),
        lte(runSteps.position, forkOf.upToPosition),
      ),
    )
    .orderBy(asc(runSteps.position));
  const out: Served = { runs: new Map(), waits: new Map() };
  for (const r of rows) {
    if (r.stepId.startsWith(CHECKPOINT_STEP_PREFIX) || isTruncated(r.output)) continue;
    (r.kind === "run" ? out.runs : out.waits).set(r.hashedId, r.output);
  }
  return out;
}

/**
 * Per request, idempotent: the fork link (first request of a forked run) and the fingerprint.
 * A later request served by code with another fingerprint marks the run "resumed with a changed
 * definition", which the run page shows.
 */
export async function recordRecoveryStart(
  db: Database,
  r: { runId: string; workflowId: string; event: EnvelopedEvent },
): Promise<void> {
  // A fork link only from a signed envelope: a forged forkOf must not link (or serve) another run.
  const { envelope } = readEnvelope(r.event);
  if (envelope.forkOf) {
    const { runId: parentRunId, upToPosition, checkpoint, state } = envelope.forkOf;
    const [at] = await db
      .select({ stepId: runSteps.stepId })
      .from(runSteps)
      .where(and(eq(runSteps.runId, parentRunId), eq(runSteps.position, upToPosition)));
    await db
      .insert(runLinks)
      .values({
        childRunId: r.runId,
        parentRunId,
        kind: "fork",
        forkPoint: { upToPosition, stepId: at?.stepId ?? `#${upToPosition}`, ...(checkpoint ? { checkpoint } : {}) },
        edits: state === undefined ? null : { state },
        createdByEmail: envelope.triggeredBy?.email ?? null,
      })
      .onConflictDoNothing();
  }
  const fingerprint = await currentFingerprint(r.workflowId);
  if (!fingerprint) return;
  const [row] = await db
    .insert(runFingerprints)
    .values({ runId: r.runId, workflowId: r.workflowId, fingerprint })
    .onConflictDoUpdate({
      target: runFingerprints.runId,
      set: { resumedWith: sql`excluded.fingerprint`, resumedAt: sql`now()` },
      setWhere: sql`${runFingerprints.fingerprint} <> excluded.fingerprint and ${runFingerprints.resumedWith} is distinct from excluded.fingerprint`,
    })
    .returning({ fingerprint: runFingerprints.fingerprint, resumedWith: runFingerprints.resumedWith });
  if (row?.resumedWith && row.resumedWith !== row.fingerprint) {
    log.warn(
      { runId: r.runId, workflowId: r.workflowId, started: row.fingerprint, now: row.resumedWith },
      "run resumed by a changed workflow definition",
    );
  }
}
