/**
 * One OS process of the cross-process budget tests and benchmark: runs `calls` governed calls
 * (reserve -> simulated provider latency -> settle) on `workers` concurrent loops ("parallel
 * steps") against the database at argv url. Prints "ready", waits for "go" on stdin, then
 * prints one JSON line with its tally. Run with tsx.
 *
 *   tsx reserve-worker.ts <url> <json options>
 */
import { createDb } from "@/db/client";
import { reserve, settle } from "@/server/governance/budgets/reservations";
import { BudgetExceededError } from "@/server/governance/errors";

export type WorkerOptions = {
  name: string;
  calls: number;
  workers: number;
  estimateNano: string;
  actualNano: string;
  latencyMs: number;
  workflow: string;
  /** Stop after this many ms even if calls remain (benchmarks). */
  maxMs?: number;
};

export type WorkerTally = { name: string; reserved: number; refused: number; spentNano: string; elapsedMs: number };

/** The loop itself, shared by the child process and the parent's own half. */
export async function runCalls(db: Parameters<typeof reserve>[0], o: WorkerOptions): Promise<WorkerTally> {
  const estimate = BigInt(o.estimateNano);
  const actual = BigInt(o.actualNano);
  let next = 0;
  let reserved = 0;
  let refused = 0;
  let spent = 0n;
  const t0 = performance.now();
  const loop = async (w: number) => {
    for (;;) {
      const i = next++;
      if (i >= o.calls || (o.maxMs !== undefined && performance.now() - t0 > o.maxMs)) return;
      const runId = `${o.name}-run-${w}`;
      try {
        const r = await reserve(db, {
          runId,
          stepId: `step-${i}`,
          workflow: o.workflow,
          agent: `agent-${w % 4}`,
          estimateNano: estimate,
        });
        reserved++;
        if (o.latencyMs) await new Promise((res) => setTimeout(res, o.latencyMs));
        await settle(db, r.id, actual, {
          provider: "openai",
          model: "gpt-4o-mini",
          usage: { inputTokens: 100, outputTokens: 50 },
          priceSource: "catalogue",
          simulated: true,
        });
        spent += actual;
      } catch (e) {
        if (e instanceof BudgetExceededError) refused++;
        else throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, (_, w) => loop(w)));
  return { name: o.name, reserved, refused, spentNano: spent.toString(), elapsedMs: performance.now() - t0 };
}

async function main() {
  const [url, json] = process.argv.slice(2);
  if (!url || !json) throw new Error("usage: reserve-worker.ts <database url> <json options>");
  const o = JSON.parse(json) as WorkerOptions;
  const { db, sql } = createDb(url, { max: 4 });
  await sql`select 1`;
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => {
    process.stdin.on("data", (d) => {
      if (String(d).includes("go")) resolve();
    });
  });
  const tally = await runCalls(db, o);
  process.stdout.write(`${JSON.stringify(tally)}\n`);
  await sql.end({ timeout: 5 });
  process.exit(0);
}

if (process.argv[1]?.endsWith("reserve-worker.ts")) {
  main().catch((e: unknown) => {
    process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
    process.exit(1);
  });
}
