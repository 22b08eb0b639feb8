import type { inferRouterOutputs } from "@trpc/server";
import type { StatusBadge } from "@/components/runs/status-badge";
import type { AppRouter } from "@/server/api/root";

/** Shapes the recovery panels share, from the recovery router's outputs. */
type Out = inferRouterOutputs<AppRouter>["recovery"];
export type Checkpoint = Out["checkpoints"][number];
export type TreeNode = Out["tree"]["root"];
export type Status = Parameters<typeof StatusBadge>[0]["status"];

export const cpKey = (c: { name: string; version: number }) => `${c.name}@${c.version}`;

/** Where a fork starts: a saved checkpoint (its state editable) or a completed step. */
export type ForkFrom =
  | { kind: "checkpoint"; name: string; version: number; state: unknown }
  | { kind: "step"; position: number; stepId: string };
