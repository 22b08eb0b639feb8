import { z } from "zod";
import { runId } from "@/server/runs/schemas";
const name = z
  .string({ error: "name must be text" })
  .trim()
  .min(1, "name must not be empty")
  .max(100, "name must be at most 100 characters");
const version = z
  .number({ error: "version must be a number" })
  .int("version must be a whole number")
  .min(1, "version must be at least 1");

export const checkpointInput = z.object({ runId, name, version: version.optional() });
export const diffInput = z.object({ runId, a: z.object({ name, version }), b: z.object({ name, version }) });

export const forkInput = z.object({
  runId,
  from: z.discriminatedUnion(
    "kind",
    [
      z.object({ kind: z.literal("checkpoint"), name, version: version.optional() }),
      z.object({
        kind: z.literal("step"),
        position: z
          .number({ error: "from.position must be a number" })
          .int("from.position must be a whole number")
          .min(0, "from.position must be at least 0"),
      }),
    ],
    { error: 'from.kind must be "checkpoint" or "step"' },
  ),
  /** Replaces the run's input; parsed by the workflow's schema. */
  input: z.record(z.string(), z.unknown(), { error: "input must be an object" }).optional(),
  /** Replaces the checkpoint's state (checkpoint forks only); must keep its shape. */
  state: z.unknown().optional(),
});
