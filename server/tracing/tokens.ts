import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";

export const tokensOverTimeInput = z
  .object({
    from: z.date({ error: "from must be a date" }),
    to: z.date({ error: "to must be a date" }),
    groupBy: z.enum(["model", "workflow"], { error: "groupBy must be one of: model, workflow" }).default("model"),
    timeZone: z
      .string()
      .max(64, "timeZone must be at most 64 characters")
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "timeZone must be an IANA time zone such as UTC or Europe/Berlin")
      .default("UTC"),
  })
  .refine((v) => v.to > v.from, { message: "to must be after from", path: ["to"] })
  .refine((v) => v.to.getTime() - v.from.getTime() <= 400 * 86_400_000, {
    message: "the range must be at most 400 days",
    path: ["from"],
  });

export type TokenPoint = { bucket: Date; key: string; inputTokens: number; outputTokens: number };

/** Input and output tokens per day and model/workflow, from the hourly rollup (as the spend chart), never a scan of llm_calls. */
export async function tokensOverTime(db: Database, input: z.output<typeof tokensOverTimeInput>): Promise<TokenPoint[]> {
  const key = input.groupBy === "model" ? sql.raw("model") : sql.raw("workflow");
  const rows = (await db.execute(sql`
    select date_trunc('day', hour, ${input.timeZone})::text as bucket, ${key} as key, sum(input_tokens)::bigint as input, sum(output_tokens)::bigint as output
      from llm_cost_rollup
     where hour >= ${input.from.toISOString()}::timestamptz and hour < ${input.to.toISOString()}::timestamptz
     group by 1, 2 order by 1, 2`)) as unknown as Record<string, unknown>[];
  return rows.map((r) => ({
    bucket: new Date(String(r.bucket)),
    key: String(r.key),
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
  }));
}
