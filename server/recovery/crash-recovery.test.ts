import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { postToIntake } from "@/inngest/engine/testing/intake";
import { getCostBreakdown } from "@/server/governance/reports";
import { claimEnginePort } from "@/server/runs/testing/engine-port";

/**
 * Crash recovery you can see: a real wflo app process (engine + serve handler + middleware +
 * governed LLM calls, testing/crash-llm-child.ts) is killed with SIGKILL mid-run; a new process
 * on the same database finishes the run. No completed step runs again and no LLM call is billed
 * twice: `llm_calls` and `getCostBreakdown` before the kill plus the calls still to come must
 * equal the final totals.
 */
const LLM_STEPS = 4;
let fresh: FreshDb;
let port: number;
const children: ChildProcess[] = [];
const dir = mkdtempSync(path.join(tmpdir(), "wflo-crash-llm-"));
const logFile = path.join(dir, "steps.log");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startChild(): Promise<{ child: ChildProcess; engineUrl: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "testing", "crash-llm-child.ts")],
    {
      env: {
        ...process.env,
        CRASH_DB_URL: fresh.url,
        CRASH_LOG_FILE: logFile,
        WFLO_ENGINE_PORT: String(port),
        WFLO_LOG_LEVEL: "error",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1]) resolve({ child, engineUrl: m[1] });
    });
    child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
  });
}

const lines = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter(Boolean) : []);
const callsByStep = async (runId: string) =>
  (
    await fresh.sql<
      { step_id: string; n: number; cost: string }[]
    >`select step_id, count(*)::int as n, sum(cost_nano)::text as cost from llm_calls where run_id = ${runId} group by step_id order by step_id`
  ).map((r) => ({ stepId: r.step_id, n: r.n, cost: BigInt(r.cost) }));

beforeAll(async () => {
  fresh = await freshDatabase();
  port = claimEnginePort();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await fresh?.drop();
});

describe("kill -9 mid-run", () => {
  it("resumes in a new process with no completed step re-run and no LLM call billed twice", async () => {
    const first = await startChild();
    const res = await postToIntake(first.engineUrl, { name: "test/crash-llm.requested", data: {} });
    expect(res.status).toBe(200);
    // Kill while work-2 sleeps: llm-1, work-1 and llm-2 are committed, work-2 is not.
    for (let i = 0; i < 400 && !lines().includes("work-2"); i++) await pause(25);
    expect(lines()).toContain("work-2");
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const [run] = await fresh.sql<
      { id: string; status: string }[]
    >`select id, status from runs where workflow_id = 'crash-llm'`;
    // Still running in wflo's records: a superseded dispatch must not have marked it failed.
    expect(run?.status).toBe("running");
    const runId = run!.id;
    const before = await getCostBreakdown(fresh.db, runId);
    const callsBefore = await callsByStep(runId);
    expect(callsBefore.map((c) => [c.stepId, c.n])).toEqual([
      ["llm-1", 1],
      ["llm-2", 1],
    ]);
    expect(before.calls).toBe(2);
    expect(before.totalNano).toBeGreaterThan(0n);
    const perCall = callsBefore[0]!.cost;
    expect(callsBefore[1]!.cost).toBe(perCall);
    const committed = (
      await fresh.sql<
        { step_id: string }[]
      >`select step_id from run_steps where run_id = ${runId} and status = 'completed' order by position`
    ).map((s) => s.step_id);
    expect(committed).toEqual(["llm-1", "work-1", "llm-2"]);

    await startChild();
    let status = "running";
    for (let i = 0; i < 600 && !["completed", "failed"].includes(status); i++) {
      await pause(50);
      status =
        (await fresh.sql<{ status: string }[]>`select status from runs where id = ${runId}`)[0]?.status ?? "missing";
    }
    expect(status).toBe("completed");

    // Exactly one priced call per LLM step, across both processes.
    const after = await getCostBreakdown(fresh.db, runId);
    const callsAfter = await callsByStep(runId);
    expect(callsAfter.map((c) => [c.stepId, c.n])).toEqual(
      Array.from({ length: LLM_STEPS }, (_, i) => [`llm-${i + 1}`, 1]),
    );
    expect(after.calls).toBe(LLM_STEPS);
    // The total before the kill plus the calls still to come, each at the same price, is the final total.
    expect(after.totalNano).toBe(before.totalNano + BigInt(LLM_STEPS - 2) * perCall);
    // No budget reservation is left open (a double reservation would hold budget until it expired).
    const [open] = await fresh.sql<
      { n: number }[]
    >`select count(*)::int as n from reservations where status = 'active'`;
    expect(open?.n ?? 0).toBe(0);

    // Completed plain steps ran once; only work-2, cut off by the kill, ran again.
    const counts = new Map<string, number>();
    for (const l of lines()) counts.set(l, (counts.get(l) ?? 0) + 1);
    expect(counts.get("work-1")).toBe(1);
    expect(counts.get("work-2")).toBe(2);
    expect(counts.get("work-3")).toBe(1);
    expect(counts.get("work-4")).toBe(1);
  }, 60_000);
});
