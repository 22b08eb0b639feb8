import { asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { sandboxExecutions, type SandboxExecutionRow } from "@/db/schema";
import type { SandboxLimits, SandboxOutput, SandboxRequest } from "./types";

/** Execution records: what a trace span of the execution will carry, stored per attempt. */

export type ExecutionContext = {
  runId: string | null;
  stepId: string | null;
  workflowId: string | null;
  attempt: number;
};

type Base = {
  ctx: ExecutionContext;
  request: SandboxRequest;
  provider: string;
  limits: SandboxLimits | null;
  startedAt: Date;
  durationMs: number;
};

/** Postgres text refuses NUL; outputs were already decoded, this guards the error strings. */
const safeText = (s: string) => s.replaceAll("\0", "\uFFFD");

export async function recordExecution(
  db: Database,
  base: Base,
  result: { output: SandboxOutput } | { refused: string } | { failed: string },
): Promise<string> {
  const common = {
    runId: base.ctx.runId,
    stepId: base.ctx.stepId,
    workflowId: base.ctx.workflowId,
    attempt: base.ctx.attempt,
    provider: base.provider,
    language: base.request.language,
    code: base.request.code,
    limits: base.limits ?? {},
    network: base.request.network,
    startedAt: base.startedAt,
    durationMs: Math.round(base.durationMs),
  };
  const values =
    "output" in result
      ? { ...common, ...result.output, exitCode: result.output.exitCode, files: result.output.files }
      : {
          ...common,
          outcome: "refused" in result ? "refused" : "failed",
          error: safeText("refused" in result ? result.refused : result.failed),
        };
  const [row] = await db.insert(sandboxExecutions).values(values).returning({ id: sandboxExecutions.id });
  return row!.id;
}

export type SandboxExecution = Omit<SandboxExecutionRow, "startedAt"> & { startedAt: string };

export async function listRunExecutions(db: Database, runId: string): Promise<SandboxExecution[]> {
  const rows = await db
    .select()
    .from(sandboxExecutions)
    .where(eq(sandboxExecutions.runId, runId))
    .orderBy(asc(sandboxExecutions.startedAt));
  return rows.map((r) => ({ ...r, startedAt: r.startedAt.toISOString() }));
}
