import { NonRetriableError } from "inngest";
import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { stateSnapshots } from "@/db/schema";

/**
 * `wflo.checkpoint(name, state)`: one durable step (`checkpoint:<name>:v<version>`) that saves a
 * versioned snapshot of the workflow's state and returns it. What it returns is what the
 * workflow should continue with: in a fork from this checkpoint with edited state, it is the
 * edited state, so `const s = await wflo.checkpoint("after-draft", s0)` is the rollback point.
 *
 * Versions count per name from 1 in call order. They are derived from the code's own order,
 * not read from the database, so a retried or replayed request computes the same version and
 * the insert is idempotent.
 */

/** The part of Inngest's step tools a checkpoint needs. */
type StepRunner = { run: (id: string, fn: () => Promise<unknown>) => Promise<unknown> };

export type CheckpointOverride = { name: string; version: number; state: unknown };

/** Saves `state` as the next version of checkpoint `name`; returns the state to continue with. */
export type WfloCheckpoint = <T>(name: string, state: T) => Promise<T>;

export type WfloCheckpoints = {
  checkpoint: WfloCheckpoint;
  /**
   * The reference's `@checkpoint(name=...)`: runs `work` as a durable step and checkpoints its
   * result under `name`, returning the checkpointed value.
   */
  checkpointed: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  /** The reference's `rollbackToCheckpoint(name)`: the latest state this run saved under `name`. */
  rollbackToCheckpoint: <T = unknown>(name: string) => T;
};

export const CHECKPOINT_STEP_PREFIX = "checkpoint:";
export const checkpointStepId = (name: string, version: number) => `${CHECKPOINT_STEP_PREFIX}${name}:v${version}`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function createCheckpoints(step: StepRunner, runId: string, override?: CheckpointOverride): WfloCheckpoints {
  const versions = new Map<string, number>();
  const latest = new Map<string, unknown>();

  const checkpoint = async <T>(name: string, state: T): Promise<T> => {
    if (!NAME.test(name))
      throw new NonRetriableError(
        `checkpoint name "${name}" must be 1-100 letters, digits, _ . - and start with a letter or digit`,
      );
    const version = (versions.get(name) ?? 0) + 1;
    versions.set(name, version);
    const stepId = checkpointStepId(name, version);
    const saved = (await step.run(stepId, async () => {
      const value = override && override.name === name && override.version === version ? override.state : state;
      // JSON round trip: what is stored is exactly what a fork or replay will hand back.
      const json = JSON.parse(JSON.stringify(value ?? null)) as unknown;
      await getDb()
        .insert(stateSnapshots)
        .values({ runId, name, version, state: json, stepId })
        .onConflictDoUpdate({
          target: [stateSnapshots.runId, stateSnapshots.name, stateSnapshots.version],
          set: { state: sql`excluded.state` },
        });
      return json;
    })) as T;
    latest.set(name, saved);
    return saved;
  };

  return {
    checkpoint,
    checkpointed: async (name, work) =>
      checkpoint(name, await (step.run(name, work) as Promise<Awaited<ReturnType<typeof work>>>)),
    rollbackToCheckpoint: <T>(name: string): T => {
      if (!latest.has(name)) throw new NonRetriableError(`no checkpoint named "${name}" was saved earlier in this run`);
      return latest.get(name) as T;
    },
  };
}
