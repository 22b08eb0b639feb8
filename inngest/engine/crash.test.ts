import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { postToIntake } from "./testing/intake";

/**
 * Durability: a real child process (engine + served function) is killed with SIGKILL in the
 * middle of a run; a new process finishes the run, and no step that had completed runs again.
 */
let fresh: FreshDb;
const children: ChildProcess[] = [];
const dir = mkdtempSync(path.join(tmpdir(), "wflo-crash-"));
const logFile = path.join(dir, "steps.log");

function startChild(): Promise<{ child: ChildProcess; engineUrl: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "testing", "crash-child.ts")],
    {
      env: { ...process.env, CRASH_DB_URL: fresh.url, CRASH_LOG_FILE: logFile, WFLO_LOG_LEVEL: "error" },
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

beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await fresh?.drop();
});

describe("crash recovery", () => {
  it("resumes a run after kill -9 without re-running completed steps", async () => {
    const first = await startChild();
    const res = await postToIntake(first.engineUrl, { name: "crash/go" });
    expect(res.status).toBe(200);
    while (lines().length < 4) await new Promise((r) => setTimeout(r, 20));
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const before = await fresh.sql<{ name: string }[]>`select name from engine_steps order by id`;
    const committed = before.map((s) => s.name);
    expect(committed.length).toBeGreaterThanOrEqual(3);
    const [runBefore] = await fresh.sql<{ status: string }[]>`select status from engine_runs`;
    expect(runBefore?.status).toBe("running");

    await startChild();
    let status = "running";
    for (let i = 0; i < 400 && status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const [run] = await fresh.sql<{ status: string }[]>`select status from engine_runs`;
      status = run?.status ?? "missing";
    }
    expect(status).toBe("completed");
    const [run] = await fresh.sql<{ output: unknown }[]>`select output from engine_runs`;
    expect(run?.output).toEqual({ total: 28 });

    const ran = lines();
    const counts = new Map<string, number>();
    for (const l of ran) counts.set(l, (counts.get(l) ?? 0) + 1);
    for (let i = 0; i < 8; i++) expect(counts.get(`s${i}`) ?? 0).toBeGreaterThanOrEqual(1);
    // Every step whose result was committed before the kill ran exactly once.
    for (const name of committed) expect(counts.get(name)).toBe(1);
    const after = await fresh.sql<{ n: number }[]>`select count(*)::int as n from engine_steps`;
    expect(after[0]?.n).toBe(8);
  }, 60_000);
});
