import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bubblewrapProvider } from "./providers/bubblewrap";
import type { SandboxJob, SandboxLanguage, SandboxLimits, SandboxOutput } from "./types";

/**
 * The escape-attempt suite: code that tries to get out of the bubblewrap sandbox, each attempt
 * asserted for the sandbox's outcome AND for the host being unaffected (no connection
 * arrived, no secret printed, no file written, no process left). Tight limits keep it fast.
 */

const nonce = `wfloesc${randomBytes(6).toString("hex")}`;
const LIMITS: SandboxLimits = { timeoutMs: 2_000, memoryMb: 128, cpuSeconds: 1, maxOutputBytes: 64 * 1024 };

function run(
  language: SandboxLanguage,
  code: string,
  limits: Partial<SandboxLimits> = {},
  extra: Partial<SandboxJob> = {},
): Promise<SandboxOutput> {
  return bubblewrapProvider.run({ language, code, files: [], stdin: "", limits: { ...LIMITS, ...limits }, ...extra });
}

/** Host processes whose command line carries `marker` (the sandbox's are visible from the host). */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(marker)) found.push(Number(pid));
    } catch {
      // Exited while we looked.
    }
  }
  return found.filter((p) => p !== process.pid);
}

const secret = `secret-${nonce}`;
const canaryDir = path.join(process.cwd(), ".wflo", `sandbox-canary-${nonce}`);
const canaryFile = path.join(canaryDir, "credentials");
let loopback: Server;
let loopbackPort = 0;
let loopbackConnections = 0;

beforeAll(async () => {
  await bubblewrapProvider.ensureAvailable();
  process.env.WFLO_ESCAPE_CANARY = secret;
  mkdirSync(canaryDir, { recursive: true });
  writeFileSync(canaryFile, secret);
  loopback = createServer((s) => {
    loopbackConnections++;
    s.end(secret);
  });
  await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", () => r()));
  loopbackPort = (loopback.address() as AddressInfo).port;
});

afterAll(async () => {
  delete process.env.WFLO_ESCAPE_CANARY;
  rmSync(canaryDir, { recursive: true, force: true });
  await new Promise((r) => loopback.close(r));
});

describe("bubblewrap escape attempts", () => {
  it("cannot reach a service on the host's loopback", async () => {
    const r = await run(
      "python",
      `import socket
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("127.0.0.1", ${loopbackPort})); print("CONNECTED", s.recv(100))
except OSError as e:
    print("blocked", type(e).__name__)`,
    );
    expect(r.outcome).toBe("ok");
    expect(r.stdout).toMatch(/^blocked ConnectionRefusedError/);
    expect(r.stdout).not.toContain(secret);
    expect(loopbackConnections).toBe(0);
  });

  it("cannot reach an outside address or resolve names", async () => {
    const r = await run(
      "python",
      `import socket
for target in [("1.1.1.1", 53), ("example.com", 80)]:
    s = socket.socket(); s.settimeout(1)
    try:
        s.connect(target); print("CONNECTED", target)
    except OSError as e:
        print("blocked", type(e).__name__)`,
    );
    expect(r.outcome).toBe("ok");
    expect(r.stdout).not.toContain("CONNECTED");
    expect(r.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^blocked OSError/),
      expect.stringMatching(/^blocked (gaierror|OSError)/),
    ]);
  });

  it("cannot read /etc/shadow, /root, the host's environment, the project's .env or the database files", async () => {
    const dataDir = process.env.WFLO_DATA_DIR ?? path.join(process.cwd(), ".wflo");
    const targets = [
      "/etc/shadow",
      "/etc/passwd",
      "/root/.bashrc",
      path.join(process.cwd(), ".env"),
      path.join(process.cwd(), "package.json"),
      canaryFile,
      dataDir,
      "/proc/1/environ",
      "/proc/self/environ",
    ];
    const r = await run(
      "python",
      `import os, json
for t in ${JSON.stringify(targets)}:
    try:
        if os.path.isdir(t): print("LISTED", t, os.listdir(t))
        else: print("READ", t, open(t, "rb").read()[:200])
    except OSError as e:
        print("blocked", t, type(e).__name__)
print("ENV", json.dumps(dict(os.environ)))`,
    );
    expect(r.outcome).toBe("ok");
    expect(r.stdout).not.toContain(secret);
    const lines = r.stdout.trim().split("\n");
    for (const t of targets.filter((x) => !x.startsWith("/proc")))
      expect(lines).toContain(`blocked ${t} FileNotFoundError`);
    // Only what the sandbox set itself: no host variable crosses over.
    const env = JSON.parse(lines.find((l) => l.startsWith("ENV "))!.slice(4)) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["HOME", "LANG", "PATH", "PWD", "PYTHONDONTWRITEBYTECODE", "TMPDIR"]);
  });

  it("runs as nobody with no capabilities and no new privileges", async () => {
    const r = await run("bash", `id -u; grep -E '^(CapEff|CapPrm|NoNewPrivs)' /proc/self/status`);
    expect(r.outcome).toBe("ok");
    expect(r.stdout).toContain("65534");
    expect(r.stdout).toMatch(/CapPrm:\s+0+\n/);
    expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it("cannot write outside the workspace; /tmp is private to the sandbox", async () => {
    const hostTmp = `/tmp/${nonce}-written`;
    const targets = ["/usr/escape", "/escape", "/etc/escape", path.join(process.cwd(), nonce), hostTmp];
    const r = await run(
      "python",
      `for t in ${JSON.stringify(targets)}:
    try:
        open(t, "w").write("x"); print("WROTE", t)
    except OSError as e:
        print("blocked", t, type(e).__name__)
open("inside.txt", "w").write("fine")`,
    );
    expect(r.outcome).toBe("ok");
    expect(r.stdout).toMatch(/blocked \/usr\/escape (OSError|PermissionError)/);
    expect(r.stdout).toMatch(/blocked \/escape (OSError|PermissionError)/);
    expect(r.files.map((f) => f.path)).toEqual(["inside.txt"]);
    for (const t of targets) expect(existsSync(t)).toBe(false);
  });

  it("cannot follow a symlink out of the workspace, and returned files never follow links", async () => {
    const r = await run(
      "bash",
      `ln -s ${canaryFile} leak; ln -s /proc/1/environ env1; ln -s / root; cat leak 2>&1 || echo blocked; cat env1 | tr '\\0' '\\n' | grep -c CANARY; ls root/ | tr '\\n' ' '`,
    );
    expect(r.stdout).toContain("blocked");
    expect(r.stdout).not.toContain(secret);
    expect(r.files).toEqual([]);
    expect(JSON.stringify(r)).not.toContain(secret);
  });

  it("contains a fork bomb and leaves no process behind", async () => {
    const started = Date.now();
    const r = await run("bash", `# ${nonce}\nb() { b | b & }; b`, { timeoutMs: 1_500 });
    expect(["timeout", "error", "ok", "killed"]).toContain(r.outcome);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(hostProcessesWith(nonce)).toEqual([]);
    // The host can still start processes.
    expect((await run("python", "print(1)")).stdout).toBe("1\n");
  });

  it("stops an allocation far past the memory limit", async () => {
    const r = await run("python", "x = bytearray(4 * 1024 ** 3)\nprint('allocated')", { memoryMb: 64 });
    expect(r.outcome).toBe("memory_limit");
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("MemoryError");
  });

  it("stops node at its heap limit", async () => {
    const r = await run("node", "const a = []; for (;;) a.push(new Array(1e6).fill(1));", {
      memoryMb: 64,
      timeoutMs: 5_000,
      cpuSeconds: 4,
    });
    expect(r.outcome).toBe("memory_limit");
  });

  it("stops a CPU spin at the CPU limit", async () => {
    const started = Date.now();
    const r = await run("python", "while True: pass", { cpuSeconds: 1, timeoutMs: 5_000 });
    expect(r.outcome).toBe("cpu_limit");
    expect(r.signal).toBe("SIGXCPU");
    expect(r.usage.userCpuMs ?? 0).toBeGreaterThanOrEqual(800);
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it("kills the whole process tree at the wall clock", async () => {
    const started = Date.now();
    const r = await run(
      "bash",
      `(exec -a ${nonce}-child sleep 60) & python3 -c 'import time; time.sleep(60)' # ${nonce}`,
      { timeoutMs: 1_000 },
    );
    expect(r.outcome).toBe("timeout");
    expect(r.signal).toBe("SIGKILL");
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(hostProcessesWith(nonce)).toEqual([]);
  });

  it("cuts off gigabytes of output at maxOutputBytes without buffering them", async () => {
    const before = process.memoryUsage().rss;
    const r = await run("python", "import sys\nwhile True: sys.stdout.write('x' * 65536)", {
      maxOutputBytes: 32 * 1024,
      timeoutMs: 5_000,
    });
    expect(r.outcome).toBe("output_limit");
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout.length).toBe(32 * 1024);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it("leaves no background process behind after the code exits", async () => {
    const started = Date.now();
    const r = await run(
      "bash",
      `(exec -a ${nonce}-daemon sleep 30) > /dev/null 2>&1 &\nnohup sh -c 'sleep 30 # ${nonce}' > /dev/null 2>&1 &\necho started`,
    );
    expect(r.outcome).toBe("ok");
    expect(r.stdout).toBe("started\n");
    expect(Date.now() - started).toBeLessThan(1_500);
    // The kernel kills the sandbox's PID namespace when its init exits; reaping may take a moment on a loaded host.
    for (let i = 0; i < 30 && hostProcessesWith(nonce).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(hostProcessesWith(nonce)).toEqual([]);
  });

  it("cannot create user namespaces inside to regain privileges", async () => {
    const r = await run("bash", "unshare -U -r id -u 2>&1; echo rc=$?");
    expect(r.stdout).toMatch(/rc=[1-9]/);
  });
});
