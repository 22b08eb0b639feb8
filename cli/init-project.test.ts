import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDb } from "@/db/client";
import { llmCalls, runs } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import type { Engine } from "@/inngest/engine";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";
import { buildSdkBundle } from "@/sdk/testing/build-bundle";

/**
 * `wflo init` + `wflo/sdk` in ANOTHER project, as a user does it: a temp project with its own
 * package.json, wflo linked into its node_modules (the symlink `npm link` / `npm install <dir>`
 * create; openai and tsx linked the same way in place of `npm install openai tsx`, no registry),
 * `wflo init` run there, then the scaffolded workflow run with the command `wflo init` prints,
 * as a child process, against this test's engine, database and local provider server.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const root = path.resolve(import.meta.dirname, "..");
let fresh: FreshDb;
let engine: Engine;
let providers: ProviderServer;
let project: string;

beforeAll(async () => {
  await buildSdkBundle();
  fresh = await freshDatabase();
  providers = await startProviderServer();
  const { createEngine } = await import("@/inngest/engine");
  engine = createEngine({ db: fresh.db, port: Number(process.env.WFLO_ENGINE_PORT), pollIntervalMs: 20 });
  await engine.start();
  project = mkdtempSync(path.join(tmpdir(), "wflo-project-"));
  // No "type": "module": most projects have none, and the scaffold must run there too.
  writeFileSync(path.join(project, "package.json"), '{ "name": "my-app", "private": true }\n');
  mkdirSync(path.join(project, "node_modules"));
  symlinkSync(root, path.join(project, "node_modules", "wflo"), "dir");
  for (const dep of ["openai", "tsx"])
    symlinkSync(path.join(root, "node_modules", dep), path.join(project, "node_modules", dep), "dir");
}, 120_000);
afterAll(async () => {
  await engine?.stop();
  await providers?.close();
  await closeDb();
  await fresh?.drop();
  if (project) rmSync(project, { recursive: true, force: true });
});

type Result = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** A child process in the project with only a user's basic environment (nothing of this test's). */
function run(args: string[], timeoutMs = 90_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: project,
      env: { NODE_ENV: "production", PATH: process.env.PATH, HOME: project, WFLO_LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // A script that does not exit by itself is killed here, and the test sees the signal.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** .env from the scaffolded .env.example, with this test's values filled in. */
function writeEnv(values: Record<string, string>, drop: string[] = []): void {
  let text = readFileSync(path.join(project, ".env.example"), "utf8");
  for (const name of drop) text = text.replace(new RegExp(`^${name}=.*$`, "m"), "");
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^#? ?${name}=.*$`, "m");
    text = line.test(text) ? text.replace(line, `${name}=${value}`) : `${text}${name}=${value}\n`;
  }
  writeFileSync(path.join(project, ".env"), text);
}

describe("wflo init in another project", () => {
  it("scaffolds a workflow that runs there with the printed command, records its run and LLM calls, and exits by itself", async () => {
    const init = await run([path.join(project, "node_modules", "wflo", "bin", "wflo.mjs"), "init"]);
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(
      /^created workflows\/my-workflow\.mts\ncreated wflo\.config\.json\ncreated \.env\.example\nnext:\n/,
    );
    const command = /^ {2}(node --env-file=\.env --import tsx \S+) "durable agents"$/m.exec(init.stdout)?.[1];
    expect(command).toBe("node --env-file=.env --import tsx workflows/my-workflow.mts");
    expect(init.stdout).toContain(`npm install ${root} openai`);
    const example = readFileSync(path.join(project, ".env.example"), "utf8");
    for (const name of ["WFLO_URL", "WFLO_API_KEY", "WFLO_DATA_DIR", "WFLO_ENGINE_PORT"])
      expect(example).toMatch(new RegExp(`^${name}=`, "m"));
    expect(example).toMatch(/^# DATABASE_URL=/m);
    expect(example).toContain(`WFLO_DATA_DIR=${path.join(root, ".wflo")}\n`);
    expect(readFileSync(path.join(project, "workflows", "my-workflow.mts"), "utf8")).toContain("await shutdown();");

    // The panel here uses an external database: DATABASE_URL instead of WFLO_DATA_DIR.
    // With DATABASE_URL instead of the panel's data dir, the script needs the engine's signing key too.
    writeEnv(
      {
        DATABASE_URL: fresh.url,
        WFLO_ENGINE_SIGNING_KEY: process.env.WFLO_ENGINE_SIGNING_KEY ?? "",
        WFLO_ENGINE_PORT: String(process.env.WFLO_ENGINE_PORT),
        OPENAI_API_KEY: "sk-test-project",
        OPENAI_BASE_URL: providers.openaiBaseUrl,
      },
      ["WFLO_DATA_DIR"],
    );
    const requests = providers.requests.length;
    const started = Date.now();
    const script = await run([...command!.split(" ").slice(1), "B-trees"]);
    expect(script.stderr).toBe("");
    expect(script).toMatchObject({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(script.stdout).toContain("topic: 'B-trees'");
    expect(script.stdout).toContain(
      `summary: 'Reply from gpt-4o-mini: Write a short summary of B-trees from these points:`,
    );
    const m = /^run (\S+): \$(\d+\.\d{6}) in 2 LLM call\(s\)$/m.exec(script.stdout);
    expect(m, script.stdout).not.toBeNull();
    const runId = m![1]!;

    // Recorded in the panel's database: the run, and its two calls (each sent to the provider once).
    const [row] = await fresh.db.select().from(runs).where(eq(runs.id, runId));
    expect(row).toMatchObject({ workflowId: "my-workflow", status: "completed" });
    const calls = await fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, runId)).orderBy(asc(llmCalls.id));
    expect(calls.map((c) => [c.stepId, c.model, c.status])).toEqual([
      ["checkpoint:outline:1/track:gpt-4o-mini:1", "gpt-4o-mini", "ok"],
      ["checkpoint:summary:1/track:gpt-4o-mini:1", "gpt-4o-mini", "ok"],
    ]);
    expect(calls.every((c) => c.inputTokens > 0 && c.costNano > 0n)).toBe(true);
    expect(m![2]).toBe((Number(calls.reduce((t, c) => t + c.costNano, 0n)) / 1e9).toFixed(6));
    expect(providers.requests.length).toBe(requests + 2);
  }, 180_000);

  it("without DATABASE_URL and with no panel database in WFLO_DATA_DIR, the script fails naming both, and still exits", async () => {
    const empty = path.join(project, "not-the-panel");
    writeEnv(
      {
        WFLO_DATA_DIR: empty,
        WFLO_ENGINE_PORT: String(process.env.WFLO_ENGINE_PORT),
        OPENAI_API_KEY: "sk-test-project",
        OPENAI_BASE_URL: providers.openaiBaseUrl,
      },
      ["DATABASE_URL"],
    );
    const requests = providers.requests.length;
    const script = await run(["--env-file=.env", "--import", "tsx", "workflows/my-workflow.mts"]);
    expect(script.signal).toBeNull();
    expect(script.code).not.toBe(0);
    expect(script.stderr).toContain(
      `cannot find the control panel's database: DATABASE_URL is not set and there is no embedded PostgreSQL in ${empty} (WFLO_DATA_DIR): set DATABASE_URL to the panel's database, or WFLO_DATA_DIR to the panel's .wflo folder`,
    );
    expect(providers.requests.length).toBe(requests);
  }, 120_000);
});
