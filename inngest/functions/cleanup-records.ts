import { z } from "zod";
import { defineWorkflow } from "./define";

/** What the risky step acts on; an approver may narrow it (fewer days, a row cap) before approving. */
const deletePlan = z.object({
  table: z.string().min(1, "table must not be empty"),
  olderThanDays: z.number().int("olderThanDays must be a whole number").min(30, "olderThanDays must be at least 30"),
  maxRows: z
    .number()
    .int("maxRows must be a whole number")
    .min(1, "maxRows must be at least 1")
    .max(100_000, "maxRows must be at most 100000"),
});

/**
 * The approvals demo: a low-risk step (a snapshot, auto-approved by the built-in policy) and a
 * high-risk step (deleting rows, waits for an approver who did not start the run). Counting is
 * simulated: it is deterministic per input, so every replay sees the same numbers. The delete
 * declares its compensation (restore from the snapshot), so an operator can roll the run back.
 */
export const cleanupRecords = defineWorkflow(
  {
    id: "cleanup-records",
    name: "Clean up old records",
    description:
      "Snapshots a table (low risk, auto-approved), then deletes old rows once an approver agrees (high risk).",
    event: "maintenance/cleanup.requested",
    retries: 2,
    // "Roll back run" on the run page restores the deleted rows from the snapshot taken before.
    compensate: {
      delete: async (output) => {
        const done = z.object({ deleted: z.number(), table: z.string() }).parse(output);
        return { restored: done.deleted, table: done.table, from: `s3://wflo-demo/snapshots/${done.table}.parquet` };
      },
    },
    input: z.object({
      table: z
        .enum(["audit_exports", "session_logs", "temp_uploads"], {
          error: "table must be one of: audit_exports, session_logs, temp_uploads",
        })
        .default("audit_exports")
        .describe("Which table to clean up"),
      olderThanDays: z
        .number({ error: "olderThanDays must be a number" })
        .int("olderThanDays must be a whole number")
        .min(30, "olderThanDays must be at least 30")
        .max(3650, "olderThanDays must be at most 3650")
        .default(90)
        .describe("Delete rows older than this many days"),
      approvalTimeout: z
        .enum(["2m", "10m", "1h", "1d"], { error: "approvalTimeout must be one of: 2m, 10m, 1h, 1d" })
        .default("1h")
        .describe("How long the delete waits for an approver before it is rejected"),
    }),
  },
  async ({ input, step, wflo }) => {
    const found = await step.run("count-old-records", async () => {
      const rows = 1_000 + ((input.table.length * 997 + input.olderThanDays * 31) % 4_000);
      return { rows, oldest: `${input.olderThanDays + 240} days` };
    });

    const snapshot = await wflo.approval("snapshot-table", {
      action: `Snapshot ${input.table} before cleanup`,
      summary: "Copies the table to cold storage. Read-only for the source table.",
      risk: "low",
      payload: { table: input.table },
    });
    await step.run("snapshot", async () => ({
      snapshot: `s3://wflo-demo/snapshots/${input.table}.parquet`,
      approvedBy: snapshot.decidedBy,
    }));

    const plan = { table: input.table, olderThanDays: input.olderThanDays, maxRows: found.rows };
    const decision = await wflo.approval("delete-old-records", {
      action: `Delete ${found.rows.toLocaleString("en-US")} rows from ${input.table}`,
      summary: `Permanently deletes rows older than ${input.olderThanDays} days. The snapshot taken before is the only way back.`,
      risk: "high",
      tool: "sql.delete",
      payload: plan,
      schema: deletePlan,
      allowEdit: true,
      details: {
        sql: `DELETE FROM ${input.table} WHERE created_at < now() - interval '${input.olderThanDays} days' LIMIT ${found.rows}`,
        diff: {
          before: { rows: found.rows + 12_480, oldest: found.oldest },
          after: { rows: 12_480, oldest: `${input.olderThanDays} days` },
        },
      },
      timeout: input.approvalTimeout,
      onTimeout: "reject",
    });
    if (!decision.approved)
      return {
        deleted: 0,
        reason: `not approved: ${decision.comment ?? decision.decidedBy}`,
        decidedBy: decision.decidedBy,
      };

    const done = await step.run("delete", async () => {
      const p = deletePlan.parse(decision.payload);
      return { deleted: Math.min(p.maxRows, found.rows), table: p.table, olderThanDays: p.olderThanDays };
    });
    return { ...done, approvedBy: decision.decidedBy, comment: decision.comment, edited: decision.edited };
  },
);
