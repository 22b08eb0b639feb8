import { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { auditLog, runs, sandboxExecutions } from "@/db/schema";
import { openHarness, startRunsHarness } from "@/server/runs/testing/runs-harness";
import { runSandbox } from "./run";
import { dockerProvider } from "./providers/docker";
import { e2bProvider } from "./providers/e2b";
import { bubblewrapProvider } from "./providers/bubblewrap";
import { isolatedVmProvider } from "./providers/isolated-vm";
import { SandboxInputError, SandboxPolicyError, SandboxUnavailableError, type SandboxLimits } from "./types";

/**
 * wflo.sandbox.run end to end: a real workflow (the data-analyst demo) through the embedded
 * engine and serve handler; policy, bad input and recording against a real database; the
 * other providers' availability reports.
 */
await vi.hoisted(() => import("@/server/runs/testing/claim-engine-port"));

const { h, admin, operator, viewer } = await openHarness(startRunsHarness, {
  admin: ["sbx-admin@example.com", "admin"],
  operator: ["sbx-operator@example.com", "operator"],
  viewer: ["sbx-viewer@example.com", "viewer"],
});

const ctx = (workflowId: string | null = null) => ({ runId: null, stepId: null, workflowId, attempt: 0 });
const LIMITS: SandboxLimits = { timeoutMs: 2_000, memoryMb: 128, cpuSeconds: 1, maxOutputBytes: 64 * 1024 };

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("the data-analyst demo workflow", () => {
  it("writes Python (template under the simulator), runs it in the sandbox and uses the result; the run page's query lists the execution", async () => {
    const csv = "team,points\nred,10\nblue,32\n";
    const { eventId } = await h.as(operator).runs.trigger({ workflowId: "data-analyst", input: { csv } });
    const run = await h.runFor(eventId);
    await h.until(
      "the analysis run to finish",
      async () => ["completed", "failed"].includes((await h.statusOf(run.id)) ?? ""),
      30_000,
    );
    const [row] = await h.fresh.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row?.status, JSON.stringify(row?.error)).toBe("completed");
    expect(row?.output).toMatchObject({
      codeSource: expect.stringContaining("template"),
      result: { rows: 2, numeric: { points: { min: 10, max: 32, mean: 21, sum: 42 } } },
      files: ["summary.json"],
      sandbox: { provider: "bubblewrap" },
      simulated: true,
    });
    const executions = await h.as(viewer).sandbox.byRun({ runId: run.id });
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({
      stepId: "run-analysis",
      workflowId: "data-analyst",
      provider: "bubblewrap",
      language: "python",
      outcome: "ok",
      exitCode: 0,
      limits: { timeoutMs: 5000, memoryMb: 128, cpuSeconds: 3, maxOutputBytes: 65536 },
    });
    expect(executions[0]?.code).toContain("csv.DictReader");
    expect((executions[0]!.usage as { wallMs: number }).wallMs).toBeGreaterThan(0);
  });
});

describe("policy", () => {
  it("refuses a language, a provider or a limit over the workflow's maximum, and records the refusal", async () => {
    await h.as(admin).sandbox.setPolicy({
      workflowId: "policy-wf",
      languages: ["python"],
      providers: ["bubblewrap"],
      defaults: { timeoutMs: 1000, memoryMb: 64, cpuSeconds: 1, maxOutputBytes: 1024 },
      maximums: { timeoutMs: 2000, memoryMb: 128, cpuSeconds: 2, maxOutputBytes: 4096 },
      network: { allowed: false, hosts: [] },
    });
    const db = h.fresh.db;
    expect((await rejection(runSandbox(db, ctx("policy-wf"), { language: "bash", code: "echo hi" }))).message).toMatch(
      /^language: bash is not allowed for workflow "policy-wf"/,
    );
    expect(
      (await rejection(runSandbox(db, ctx("policy-wf"), { language: "python", code: "1", provider: "docker" })))
        .message,
    ).toMatch(/^provider: docker is not allowed/);
    const over = await rejection(runSandbox(db, ctx("policy-wf"), { language: "python", code: "1", memoryMb: 512 }));
    expect(over).toBeInstanceOf(SandboxPolicyError);
    expect(over.message).toBe('memoryMb: 512 is over the maximum of 128 for workflow "policy-wf"');
    expect(
      (
        await rejection(
          runSandbox(db, ctx("policy-wf"), { language: "python", code: "1", network: { hosts: ["api.example.com"] } }),
        )
      ).message,
    ).toMatch(/^network: network access is off/);
    const ok = await runSandbox(db, ctx("policy-wf"), { language: "python", code: "print('x' * 5000)" });
    // The policy's default output cap applied.
    expect(ok).toMatchObject({
      outcome: "output_limit",
      limits: { timeoutMs: 1000, memoryMb: 64, cpuSeconds: 1, maxOutputBytes: 1024 },
    });
    const rows = await db.select().from(sandboxExecutions).where(eq(sandboxExecutions.workflowId, "policy-wf"));
    expect(rows.filter((r) => r.outcome === "refused")).toHaveLength(4);
    const [audit] = await db.select().from(auditLog).where(eq(auditLog.action, "sandbox.policy_update"));
    expect(audit).toMatchObject({ targetId: "policy-wf", actorEmail: admin.email });
  });

  it("even an allowed network grant is refused until an allowlist can be enforced", async () => {
    await h.as(admin).sandbox.setPolicy({
      workflowId: "net-wf",
      languages: ["python"],
      providers: ["bubblewrap"],
      defaults: { timeoutMs: 1000, memoryMb: 64, cpuSeconds: 1, maxOutputBytes: 1024 },
      maximums: { timeoutMs: 2000, memoryMb: 128, cpuSeconds: 2, maxOutputBytes: 4096 },
      network: { allowed: true, hosts: ["api.example.com"] },
    });
    expect(
      (
        await rejection(
          runSandbox(h.fresh.db, ctx("net-wf"), {
            language: "python",
            code: "1",
            network: { hosts: ["evil.example.com"] },
          }),
        )
      ).message,
    ).toMatch(/evil.example.com not on the allowlist/);
    expect(
      (
        await rejection(
          runSandbox(h.fresh.db, ctx("net-wf"), {
            language: "python",
            code: "1",
            network: { hosts: ["api.example.com"] },
          }),
        )
      ).message,
    ).toMatch(/not enforceable/);
  });

  it("validates a policy with field-named errors, and only admins may change it", async () => {
    const err = await rejection(
      h.as(admin).sandbox.setPolicy({
        workflowId: "x",
        languages: [],
        providers: ["bubblewrap"],
        defaults: { timeoutMs: 5000, memoryMb: 1, cpuSeconds: 1, maxOutputBytes: 1 },
        maximums: { timeoutMs: 1000, memoryMb: 1, cpuSeconds: 1, maxOutputBytes: 1 },
        network: { allowed: false, hosts: [] },
      }),
    );
    expect(err).toBeInstanceOf(TRPCError);
    expect(err.message).toContain("languages: languages must allow at least one language");
    expect(err.message).toContain("defaults.timeoutMs: defaults.timeoutMs must not exceed maximums.timeoutMs");
    expect(((await rejection(h.as(operator).sandbox.setPolicy({} as never))) as TRPCError).code).toBe("FORBIDDEN");
    expect(await h.as(viewer).sandbox.policy({ workflowId: "no-policy" })).toMatchObject({
      stored: false,
      network: { allowed: false },
      providers: ["bubblewrap"],
    });
  });
});

describe("bad input", () => {
  const db = () => h.fresh.db;
  const bad = async (input: unknown) => {
    const e = await rejection(runSandbox(db(), ctx(), input));
    expect(e).toBeInstanceOf(SandboxInputError);
    return e.message;
  };
  it("names the field and the rule", async () => {
    expect(await bad({ language: "ruby", code: "puts 1" })).toContain(
      "language: language must be one of: python, node, bash",
    );
    expect(await bad({ language: "python", code: "#".repeat(70_000) })).toContain(
      "code: code must be at most 65536 bytes",
    );
    expect(
      await bad({
        language: "python",
        code: "1",
        files: [{ path: "big.bin", content: Buffer.alloc(1_100_000).toString("base64"), encoding: "base64" }],
      }),
    ).toContain("files must total at most 1048576 bytes");
    expect(await bad({ language: "python", code: "1", files: [{ path: "../escape", content: "x" }] })).toContain(
      "files.0.path: files[].path must not contain '..'",
    );
    expect(await bad({ language: "python", code: "1", files: [{ path: "bad\uD800name", content: "x" }] })).toContain(
      "files[].path must be valid Unicode",
    );
    expect(await bad({ language: "python", code: "print(1)\0" })).toContain("code must not contain NUL bytes");
    expect(await bad({ language: "python", code: "1", timeoutMs: -5 })).toContain(
      "timeoutMs: timeoutMs must be positive",
    );
    expect(await bad("print(1)")).toMatch(/invalid sandbox request/);
  });

  it("handles binary output and non-UTF-8 file names without crashing, and stores them", async () => {
    const r = await runSandbox(db(), ctx(), {
      language: "python",
      code: "import sys, os\nsys.stdout.buffer.write(b'\\xff\\xfe\\x00binary')\nopen(b'\\xffname.bin', 'wb').write(bytes(range(256)))\nopen('ok.txt', 'w').write('text')",
    });
    expect(r.outcome).toBe("ok");
    expect(r.binaryOutput).toBe(true);
    expect(r.stdout).toContain("binary");
    const odd = r.files.find((f) => f.nameBytesBase64);
    expect(odd).toMatchObject({
      path: "\uFFFDname.bin",
      nameBytesBase64: Buffer.from([0xff, ...Buffer.from("name.bin")]).toString("base64"),
      encoding: "base64",
      size: 256,
    });
    expect(Buffer.from(odd!.content, "base64")).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    expect(r.files.find((f) => f.path === "ok.txt")).toMatchObject({ content: "text", encoding: "utf8" });
    const [row] = await db().select().from(sandboxExecutions).where(eq(sandboxExecutions.id, r.executionId));
    expect(row?.binaryOutput).toBe(true);
  });

  it("passes files and stdin in and caps files coming out", async () => {
    const r = await runSandbox(db(), ctx(), {
      language: "bash",
      code: 'cat in/data.txt; read line; echo "stdin=$line"; head -c 2000000 /dev/zero > big.bin; echo small > small.txt',
      files: [{ path: "in/data.txt", content: "hello\n" }],
      stdin: "from stdin\n",
    });
    expect(r.stdout).toBe("hello\nstdin=from stdin\n");
    expect(r.filesTruncated).toBe(true);
    expect(r.files.find((f) => f.path === "big.bin")).toMatchObject({ truncated: true, content: "", size: 2_000_000 });
    expect(r.files.find((f) => f.path === "small.txt")).toMatchObject({ content: "small\n" });
    expect(r.files.find((f) => f.path === "in/data.txt")).toBeUndefined();
  });
});

describe("providers", () => {
  it("reports a missing bwrap by name and runs nothing", async () => {
    const prev = process.env.WFLO_BWRAP_PATH;
    process.env.WFLO_BWRAP_PATH = "/nonexistent/bwrap";
    try {
      const e = await rejection(bubblewrapProvider.ensureAvailable());
      expect(e).toBeInstanceOf(SandboxUnavailableError);
      expect(e.message).toContain(
        "the bwrap binary (Debian/Ubuntu package `bubblewrap`) not found at /nonexistent/bwrap",
      );
      expect(e.message).toContain("never falls back to running code unsandboxed");
    } finally {
      if (prev === undefined) delete process.env.WFLO_BWRAP_PATH;
      else process.env.WFLO_BWRAP_PATH = prev;
    }
  });

  it("reports Docker unavailable when no engine answers on the socket", async () => {
    const prev = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
    try {
      const e = await rejection(dockerProvider.ensureAvailable());
      expect(e).toBeInstanceOf(SandboxUnavailableError);
      expect(e.message).toContain("no Docker engine answered at unix:///nonexistent/docker.sock");
    } finally {
      if (prev === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = prev;
    }
  });

  it("reports E2B unavailable without an API key", async () => {
    const prev = process.env.E2B_API_KEY;
    delete process.env.E2B_API_KEY;
    try {
      const e = await rejection(e2bProvider.ensureAvailable());
      expect(e).toBeInstanceOf(SandboxUnavailableError);
      expect(e.message).toContain("E2B_API_KEY is not set");
    } finally {
      if (prev !== undefined) process.env.E2B_API_KEY = prev;
    }
  });

  it("a policy naming an unavailable provider refuses clearly instead of falling back", async () => {
    await h.as(admin).sandbox.setPolicy({
      workflowId: "docker-wf",
      languages: ["python"],
      providers: ["docker"],
      defaults: { timeoutMs: 1000, memoryMb: 64, cpuSeconds: 1, maxOutputBytes: 1024 },
      maximums: { timeoutMs: 2000, memoryMb: 128, cpuSeconds: 2, maxOutputBytes: 4096 },
      network: { allowed: false, hosts: [] },
    });
    const prev = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
    try {
      const e = await rejection(
        runSandbox(h.fresh.db, ctx("docker-wf"), { language: "python", code: "print(1)", provider: "docker" }),
      );
      expect(e).toBeInstanceOf(SandboxUnavailableError);
    } finally {
      if (prev === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = prev;
    }
  });

  it("isolated-vm runs JavaScript with heap, time and output limits", async () => {
    const job = (code: string, limits: Partial<SandboxLimits> = {}) =>
      isolatedVmProvider.run({
        language: "node",
        code,
        files: [{ path: "in.txt", content: "abc", encoding: "utf8" }],
        stdin: "input",
        limits: { ...LIMITS, ...limits },
      });
    const ok = await job(
      "console.log(stdin, files['in.txt'].length); files['out.txt'] = 'written'; console.error(typeof require, typeof process)",
    );
    expect(ok).toMatchObject({
      outcome: "ok",
      stdout: "input 3\n",
      stderr: "undefined undefined\n",
      files: [{ path: "out.txt", content: "written" }],
    });
    expect((await job("for(;;){}", { cpuSeconds: 1, timeoutMs: 2_000 })).outcome).toBe("cpu_limit");
    expect((await job("for(;;){}", { cpuSeconds: 5, timeoutMs: 500 })).outcome).toBe("timeout");
    expect(
      (
        await job("const a=[]; for(;;) a.push(new Array(1e5).fill(1))", {
          memoryMb: 16,
          timeoutMs: 5_000,
          cpuSeconds: 5,
        })
      ).outcome,
    ).toBe("memory_limit");
    expect((await job("for(;;) console.log('x'.repeat(1000))", { maxOutputBytes: 10_000 })).outcome).toBe(
      "output_limit",
    );
    expect(await job("throw new Error('boom')")).toMatchObject({
      outcome: "error",
      exitCode: 1,
      stderr: expect.stringContaining("boom"),
    });
  });
});
