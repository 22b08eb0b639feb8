import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiKey, revokeApiKey } from "@/server/apikeys/service";
import { startRestServer, type RestServer } from "@/server/rest/testing/http-server";
import { startRunsHarness, type RunsHarness } from "@/server/runs/testing/runs-harness";

/**
 * `wflo` as a user runs it: `node bin/wflo.mjs` in a child process, over real HTTP, against the
 * REST route handlers on a fresh database and the embedded engine.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

let h: RunsHarness;
let server: RestServer;
let home: string;
const keys = { operator: "", approver: "", viewer: "", revoked: "" };

beforeAll(async () => {
  h = await startRunsHarness();
  server = await startRestServer();
  home = mkdtempSync(path.join(tmpdir(), "wflo-cli-"));
  const admin = await h.user("admin@example.com", "admin");
  // The approver key is another person's: a key acts for its creator, so one admin's keys never approve each other's runs.
  const approverOwner = await h.user("approver-owner@example.com", "approver");
  for (const role of ["operator", "approver", "viewer"] as const)
    keys[role] = (
      await createApiKey(h.fresh.db, role === "approver" ? approverOwner : admin, { name: `cli-${role}`, role })
    ).secret;
  const old = await createApiKey(h.fresh.db, admin, { name: "cli-old", role: "admin" });
  await revokeApiKey(h.fresh.db, admin, old.key.id);
  keys.revoked = old.secret;
});
afterAll(async () => {
  await server?.close();
  await h?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

type Result = { code: number | null; stdout: string; stderr: string };
type Opts = {
  key?: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  cwd?: string;
  onStdout?: (all: string, child: ChildProcess) => void;
};

function wflo(args: string[], o: Opts = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.resolve("bin/wflo.mjs"), ...args, ...(args[0] === "run" ? ["--poll-ms", "100"] : [])],
      {
        cwd: o.cwd,
        env: {
          NODE_ENV: "test",
          PATH: process.env.PATH,
          WFLO_CONFIG_DIR: path.join(home, ".wflo"),
          WFLO_URL: server.url,
          WFLO_API_KEY: o.key ?? keys.operator,
          ...o.env,
        },
        // No stdin unless the test pipes some: an open, silent stdin would be read as piped input.
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      o.onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(o.stdin ?? "");
  });
}

describe("wflo run --require-approval, approved from a second wflo process", () => {
  it("streams steps, prints the approval command, finishes with the result; list/show/trace/approvals read it back", async () => {
    let approvalId = "";
    let approver: Promise<Result> | undefined;
    const run = await wflo(
      [
        "run",
        "cleanup-records",
        "--input",
        '{"table":"temp_uploads","olderThanDays":45}',
        "--budget",
        "10.00",
        "--require-approval",
      ],
      {
        onStdout: (out) => {
          const m = /wflo approvals approve (\S+)/.exec(out);
          if (m?.[1] && !approver) {
            approvalId = m[1];
            approver = wflo(["approvals", "approve", approvalId, "--comment", "ok from the terminal"], {
              key: keys.approver,
            });
          }
        },
      },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const decided = await approver;
    expect(decided).toEqual({ code: 0, stdout: `approval ${approvalId} approved\n`, stderr: "" });

    const runId = /^run (\S+) \(cleanup-records\) started, budget \$10\.00, every LLM step needs approval$/m.exec(
      run.stdout,
    )?.[1];
    expect(runId).toBeTruthy();
    expect(run.stdout).toContain("✓ count-old-records");
    expect(run.stdout).toMatch(
      new RegExp(`⏸ waiting for approval ${approvalId}: Delete [\\d,]+ rows from temp_uploads \\(high risk`),
    );
    expect(run.stdout).toContain(`run ${runId} completed`);
    expect(run.stdout).toMatch(/^result: \{\n[\s\S]*"deleted": 2359,\n[\s\S]*"approvedBy": "api-key:cli-approver/m);
    expect(run.stdout).toContain("cost: $0.00 in 0 LLM call(s)");

    const list = await wflo(["runs", "list", "--json"], { key: keys.viewer });
    expect(list.code).toBe(0);
    expect(
      (JSON.parse(list.stdout) as { items: { id: string; status: string }[] }).items.find((r) => r.id === runId)
        ?.status,
    ).toBe("completed");
    const show = await wflo(["runs", "show", runId!], { key: keys.viewer });
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`run ${runId}  Clean up old records (cleanup-records)`);
    expect(show.stdout).toMatch(/^status completed/m);
    const trace = await wflo(["runs", "trace", runId!], { key: keys.viewer });
    expect(trace.code).toBe(0);
    expect(trace.stdout).toMatch(/✓ .*count-old-records/);
    expect(trace.stdout).toMatch(/spans, 0 LLM call\(s\), \$0\.00, .* \(completed\)/);
    const history = await wflo(["approvals", "list", "--all", "--run", runId!, "--json"], { key: keys.viewer });
    expect(
      (JSON.parse(history.stdout) as { approvals: { id: string; status: string }[] }).approvals.find(
        (a) => a.id === approvalId,
      )?.status,
    ).toBe("approved");
  });
});

describe("input, detach and exit codes", () => {
  it("reads input piped to stdin; --detach returns at once with the run id", async () => {
    const piped = await wflo(["run", "hello", "--json"], { stdin: '{"name":"terminal"}' });
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      status: "completed",
      result: { message: "Hello, terminal!" },
    });
    const dashed = await wflo(["run", "hello", "--input", "-", "--detach", "--json"], { stdin: '{"name":"dash"}' });
    expect(dashed.code).toBe(0);
    const { runId } = JSON.parse(dashed.stdout) as { runId: string };
    await h.until("the detached run", async () => (await h.statusOf(runId)) === "completed");
  });

  it("cancel: a waiting run is cancelled (exit 0); `wflo run` of a run cancelled meanwhile exits 1", async () => {
    let cancel: Promise<Result> | undefined;
    const run = await wflo(["run", "cleanup-records"], {
      onStdout: (out) => {
        const id = /^run (\S+) \(cleanup-records\) started/m.exec(out)?.[1];
        if (id && /waiting for approval/.test(out) && !cancel) cancel = wflo(["runs", "cancel", id]);
      },
    });
    expect((await cancel)?.code).toBe(0);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/run \S+ cancelled/);
  });

  it("a run stopped by its --budget exits 5", async () => {
    const r = await wflo([
      "run",
      "research-assistant",
      "--input",
      '{"topic":"budgets in the terminal"}',
      "--budget",
      "0.000001",
    ]);
    expect(r.stdout).toMatch(/budget exceeded/i);
    expect(r.code).toBe(5);
  });

  it("budgets list shows the budgets (viewer)", async () => {
    const r = await wflo(["budgets", "list"], { key: keys.viewer });
    expect(r).toMatchObject({ code: 0, stdout: "no budgets\n" });
    expect((await wflo(["budgets", "list", "--json"], { key: keys.viewer })).stdout).toContain('"budgets": []');
  });

  it.each([
    ["unknown command", 2, ["frobnicate"], {}, "wflo: unknown command: frobnicate (see wflo help)\n"],
    [
      "run without a workflow",
      2,
      ["run"],
      {},
      "wflo: wflo run takes exactly one workflow id, e.g. wflo run cleanup-records (see wflo help)\n",
    ],
    ["an unknown flag", 2, ["runs", "list", "--colour"], {}, /^wflo: Unknown option '--colour'/],
    ["--input that is not JSON", 2, ["run", "hello", "--input", "{nope"], {}, /^wflo: --input must be JSON: /],
    [
      "a bad --budget",
      2,
      ["run", "hello", "--budget", "ten"],
      {},
      "wflo: --budget must be US dollars like 10.00 (got ten) (see wflo help)\n",
    ],
    [
      "no WFLO_URL",
      2,
      ["runs", "list"],
      { env: { WFLO_URL: "" } },
      "wflo: no server: set WFLO_URL (e.g. http://localhost:3000) or run wflo login\n",
    ],
    [
      "a wrong key",
      3,
      ["runs", "list"],
      { key: "wflo_wrong" },
      "wflo: not authorised: missing, unknown or revoked API key (send Authorization: Bearer <key>)\n",
    ],
    ["a revoked key", 3, ["budgets", "list"], { key: "revoked" }, /^wflo: not authorised: /],
    [
      "a role without the permission",
      3,
      ["approvals", "approve", "00000000-0000-4000-8000-000000000000"],
      { key: "viewer" },
      "wflo: this key's role (viewer) lacks the permission approvals:decide\n",
    ],
    [
      "--input - with nothing on stdin",
      2,
      ["run", "hello", "--input", "-"],
      {},
      "wflo: --input - reads the input from stdin, but stdin was empty\n",
    ],
    ["replay without a run id", 2, ["runs", "replay"], {}, "wflo: missing the run id (see wflo help)\n"],
    [
      "replay with a key that may not re-run",
      3,
      ["runs", "replay", "some-run"],
      { key: "viewer" },
      "wflo: this key's role (viewer) lacks the permission runs:rerun\n",
    ],
    ["replay of an unknown run", 4, ["runs", "replay", "no-such-run"], {}, "wflo: no run with id no-such-run\n"],
    ["rerun of an unknown run", 4, ["runs", "rerun", "no-such-run"], {}, "wflo: no run with id no-such-run\n"],
    [
      "init with an argument",
      2,
      ["init", "here"],
      {},
      "wflo: wflo init takes no arguments (got here); it sets up the current directory (see wflo help)\n",
    ],
    [
      "input that fails the workflow's schema",
      4,
      ["run", "cleanup-records", "--input", '{"olderThanDays":3}'],
      {},
      "wflo: olderThanDays: olderThanDays must be at least 30\n",
    ],
    ["an unknown workflow", 4, ["run", "nope"], {}, /^wflo: workflowId: no workflow named "nope"; this app serves /],
    ["an unknown run id", 4, ["runs", "show", "no-such-run"], {}, "wflo: no run with id no-such-run\n"],
  ] as const)("%s -> exit %i, one line on stderr", async (_name, code, args, o, stderr) => {
    const opts: Opts = {
      ...("env" in o ? { env: o.env } : {}),
      ...("key" in o ? { key: o.key === "revoked" ? keys.revoked : o.key === "viewer" ? keys.viewer : o.key } : {}),
    };
    const r = await wflo([...args], opts);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    if (typeof stderr === "string") expect(r.stderr).toBe(stderr);
    else expect(r.stderr).toMatch(stderr);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a server that is not there -> exit 3", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await wflo(["runs", "list"], { env: { WFLO_URL: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^wflo: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED\\n$`));
  });

  it("login checks the key, then saves URL and key (owner-only) for later commands", async () => {
    const bad = await wflo(["login", "--url", server.url, "--key", "wflo_wrong"], {
      env: { WFLO_URL: "", WFLO_API_KEY: "" },
    });
    expect(bad.code).toBe(3);
    const ok = await wflo(["login", "--url", server.url, "--key", keys.viewer], {
      env: { WFLO_URL: "", WFLO_API_KEY: "" },
    });
    expect(ok.code).toBe(0);
    const file = path.join(home, ".wflo", "config.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: server.url, apiKey: keys.viewer });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await wflo(["budgets", "list"], { env: { WFLO_URL: "", WFLO_API_KEY: "" } })).code).toBe(0);
  });
});

describe("runs replay and rerun", () => {
  it("replay prints the divergence report of a run today's code still follows (and --json the report); rerun starts a new run of the same input", async () => {
    const first = await wflo(["run", "hello", "--input", '{"name":"replay"}', "--json"]);
    expect(first.code).toBe(0);
    const runId = (JSON.parse(first.stdout.trim().split("\n").at(-1)!) as { run: { id: string } }).run.id;

    const replay = await wflo(["runs", "replay", runId]);
    expect(replay).toMatchObject({ code: 0, stderr: "" });
    expect(replay.stdout).toContain(
      `replayed run ${runId} (hello) against its records: 1 step(s), nothing executed or billed\n`,
    );
    expect(replay.stdout).toMatch(/^definition unchanged \(\S+\)$/m);
    expect(replay.stdout).toContain("no divergence: today's code asks for the recorded steps in the recorded order\n");
    expect(replay.stdout).toContain("output: matches the recorded result\n");
    const asJson = await wflo(["runs", "replay", runId, "--json"]);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      runId,
      workflowId: "hello",
      stepsReplayed: 1,
      divergence: null,
      outputMatches: true,
    });

    const rerun = await wflo(["runs", "rerun", runId, "--budget", "1.50", "--json"]);
    expect(rerun.code).toBe(0);
    const again = JSON.parse(rerun.stdout) as { runId: string; rerunOf: string };
    expect(again.rerunOf).toBe(runId);
    expect(again.runId).not.toBe(runId);
    await h.until("the re-run", async () => (await h.statusOf(again.runId)) === "completed");
    const shown = await wflo(["runs", "show", again.runId, "--json"], { key: keys.viewer });
    expect(JSON.parse(shown.stdout)).toMatchObject({ status: "completed", result: { message: "Hello, replay!" } });
  });
});

describe("Ctrl-C while following a run", () => {
  it("SIGINT -> exit 130 with the run id on stderr; the run goes on on the server", async () => {
    let runId = "";
    const r = await wflo(["run", "cleanup-records"], {
      onStdout: (out, child) => {
        runId ||= /^run (\S+) \(cleanup-records\) started/m.exec(out)?.[1] ?? "";
        if (runId && /waiting for approval/.test(out) && child.exitCode === null && !child.killed) child.kill("SIGINT");
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toBe(
      `\nwflo: interrupted; run ${runId} goes on on the server (stop it with: wflo runs cancel ${runId})\n`,
    );
    expect(await h.statusOf(runId)).toBe("waiting");

    // What the approver is asked, found from the run id.
    const shown = await wflo(["approvals", "show", runId], { key: keys.viewer });
    expect(shown).toMatchObject({ code: 0, stderr: "" });
    expect(shown.stdout).toMatch(
      new RegExp(
        `^approval (\\S+)  pending  run ${runId}  \\(cleanup-records, gate delete-old-records\\)\\nasks: Delete [\\d,]+ rows from audit_exports\\n`,
      ),
    );
    expect(shown.stdout).toMatch(/^risk high, decided by approver or above, deadline \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
    expect(shown.stdout).toMatch(/^approve: wflo approvals approve \S+ {3}reject: wflo approvals reject \S+$/m);
    const approvalId = /^approval (\S+)/.exec(shown.stdout)?.[1] ?? "";
    expect(
      JSON.parse((await wflo(["approvals", "show", approvalId, "--json"], { key: keys.viewer })).stdout),
    ).toMatchObject({ id: approvalId, runId, status: "pending", risk: "high" });

    expect((await wflo(["runs", "cancel", runId])).code).toBe(0);
  });
});

describe("wflo init", () => {
  it("scaffolds a workflow using wflo/sdk, wflo.config.json and .env.example into an existing project; overwrites nothing without --force; later commands read the project's config", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "wflo-init-"));
    try {
      const bare = await wflo(["init"], { cwd: dir });
      expect(bare.code).toBe(2);
      expect(bare.stderr).toBe(
        `wflo: wflo init sets up an existing project: run it in the folder that holds your package.json (none in ${dir})\n`,
      );
      expect(existsSync(path.join(dir, "wflo.config.json"))).toBe(false);

      writeFileSync(path.join(dir, "package.json"), '{ "name": "my-app", "type": "module" }\n');
      expect((await wflo(["init", "--name", "Not_Kebab"], { cwd: dir })).code).toBe(2);
      const made = await wflo(["init", "--name", "research-notes", "--url", server.url], { cwd: dir });
      expect(made.stderr).toBe("");
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(
        /^created workflows\/research-notes\.ts\ncreated wflo\.config\.json\ncreated \.env\.example\nnext:\n/,
      );
      const wf = readFileSync(path.join(dir, "workflows", "research-notes.ts"), "utf8");
      expect(wf).toContain('import { WfloWorkflow, checkpoint, shutdown, trackLlmCall } from "wflo/sdk";');
      expect(wf).toContain('new WfloWorkflow({ name: "research-notes", budgetUsd: 0.5 })');
      expect(wf).toContain("node --env-file=.env --import tsx workflows/research-notes.ts");
      expect(JSON.parse(readFileSync(path.join(dir, "wflo.config.json"), "utf8"))).toEqual({
        url: server.url,
        apiKeyEnv: "WFLO_API_KEY",
      });
      const envExample = readFileSync(path.join(dir, ".env.example"), "utf8");
      expect(envExample).toContain(`WFLO_URL=${server.url}\n`);
      expect(envExample).toMatch(/^WFLO_API_KEY=wflo_replace_me$/m);

      // A second init changes nothing, and names what is in the way.
      writeFileSync(path.join(dir, "wflo.config.json"), '{ "url": "http://mine.example" }\n');
      const twice = await wflo(["init", "--name", "research-notes"], { cwd: dir });
      expect(twice).toEqual({
        code: 2,
        stdout: "",
        stderr:
          "wflo: workflows/research-notes.ts, wflo.config.json, .env.example already exist; wflo init overwrites nothing unless you pass --force\n",
      });
      expect(readFileSync(path.join(dir, "wflo.config.json"), "utf8")).toBe('{ "url": "http://mine.example" }\n');
      const other = await wflo(["init", "--name", "another-one"], { cwd: dir });
      expect(other.code).toBe(2);
      expect(existsSync(path.join(dir, "workflows", "another-one.ts"))).toBe(false);
      const forced = await wflo(["init", "--name", "research-notes", "--url", server.url, "--force", "--json"], {
        cwd: dir,
      });
      expect(forced.code).toBe(0);
      expect(JSON.parse(forced.stdout)).toEqual({
        created: ["workflows/research-notes.ts", "wflo.config.json", ".env.example"],
      });
      expect(JSON.parse(readFileSync(path.join(dir, "wflo.config.json"), "utf8"))).toEqual({
        url: server.url,
        apiKeyEnv: "WFLO_API_KEY",
      });

      // The project's wflo.config.json (URL) and .env (key) configure later commands run there.
      const noEnv = { WFLO_URL: "", WFLO_API_KEY: "", WFLO_CONFIG_DIR: path.join(dir, "no-login") };
      expect(await wflo(["budgets", "list"], { cwd: dir, env: noEnv })).toMatchObject({
        code: 2,
        stderr: "wflo: no API key: set WFLO_API_KEY (create one in Settings → API keys) or run wflo login\n",
      });
      writeFileSync(path.join(dir, ".env"), `WFLO_API_KEY=${keys.viewer}\n`);
      expect(await wflo(["budgets", "list"], { cwd: dir, env: noEnv })).toEqual({
        code: 0,
        stdout: "no budgets\n",
        stderr: "",
      });
      mkdirSync(path.join(dir, "sub"));
      expect((await wflo(["budgets", "list"], { cwd: path.join(dir, "sub"), env: noEnv })).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
