import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { constants as osConstants } from "node:os";
import { runCapped } from "../process";
import { decodeOutput, filesFromTar } from "../output";
import { writeTar } from "../tar";
import {
  fileBytes,
  MAX_RETURNED_FILES_BYTES,
  SandboxUnavailableError,
  type SandboxJob,
  type SandboxLanguage,
  type SandboxOutcome,
  type SandboxOutput,
  type SandboxProvider,
} from "../types";
import { env } from "@/server/env";

/**
 * bubblewrap: each execution gets new user, PID, network, IPC, UTS and cgroup namespaces; only
 * /usr (read-only) and a fresh /proc, /dev; a private workspace on a size-limited tmpfs that
 * exists only inside the sandbox (files go in and out as a tar over fds 4 and 3); no host home,
 * project directory, /etc, `.env` or environment; no capabilities, no new privileges (bwrap
 * sets PR_SET_NO_NEW_PRIVS), no nested user namespaces; rlimits on address space, CPU time,
 * processes, file size and open files (util-linux prlimit); the whole process tree killed at the
 * wall clock. When wflo runs as root, bwrap itself runs as `nobody` so the sandbox is nobody on
 * the host too (as root the mapped uid would own root's files).
 */

const BWRAP = () => env.WFLO_BWRAP_PATH;
const PRLIMIT = "/usr/bin/prlimit";
const NOBODY = 65534;
/** Workspace and /tmp sizes: tmpfs is RAM, so these stay small. */
const WORKSPACE_BYTES = 64 * 1024 * 1024;
const TMP_BYTES = 16 * 1024 * 1024;
const MAX_PROCESSES = 64;
const MAX_OPEN_FILES = 256;
/** V8 reserves address space it never commits (code range, pointer cage): node needs this on top of its heap. */
const NODE_ADDRESS_HEADROOM_MB = 1024;

const INTERPRETER: Record<SandboxLanguage, string> = {
  python: "/usr/bin/python3",
  node: "/usr/bin/node",
  bash: "/usr/bin/bash",
};

function commandFor(job: SandboxJob): string[] {
  const { language, code, limits } = job;
  if (language === "python") return [INTERPRETER.python, "-c", code];
  if (language === "node") return [INTERPRETER.node, `--max-old-space-size=${limits.memoryMb}`, "-e", code];
  return [INTERPRETER.bash, "-c", code];
}

/**
 * Runs inside the sandbox as /bin/sh: unpack the workspace from fd 4, run the code (limits
 * applied by prlimit, fds 3/4 closed so the code cannot touch the channel), then report its
 * status and CPU times and tar the workspace to fd 3. `$?` > 128 means killed by signal $?-128.
 */
const WRAPPER = `
tar -x -o -f - -C /workspace <&4 || { echo "wflo: could not unpack the workspace" >&2; exit 125; }
exec 4<&-
( exec 3>&-; exec "$@" )
status=$?
printf 'wflo-status %s\\n' "$status" >&3
times >&3
printf 'wflo-tar\\n' >&3
tar -c -f - -C /workspace . >&3 2>/dev/null
exit 0
`;

function bwrapArgs(job: SandboxJob): string[] {
  const { limits } = job;
  const addressMb = job.language === "node" ? limits.memoryMb + NODE_ADDRESS_HEADROOM_MB : limits.memoryMb;
  return [
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--uid",
    String(NOBODY),
    "--gid",
    String(NOBODY),
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--symlink",
    "usr/bin",
    "/bin",
    "--symlink",
    "usr/sbin",
    "/sbin",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--size",
    String(TMP_BYTES),
    "--tmpfs",
    "/tmp",
    "--size",
    String(WORKSPACE_BYTES),
    "--tmpfs",
    "/workspace",
    "--remount-ro",
    "/",
    "--chdir",
    "/workspace",
    "--clearenv",
    "--setenv",
    "PATH",
    "/usr/local/bin:/usr/bin:/bin",
    "--setenv",
    "HOME",
    "/workspace",
    "--setenv",
    "TMPDIR",
    "/tmp",
    "--setenv",
    "LANG",
    "C.UTF-8",
    "--setenv",
    "PYTHONDONTWRITEBYTECODE",
    "1",
    "/bin/sh",
    "-c",
    WRAPPER,
    "wflo-sandbox",
    PRLIMIT,
    `--as=${addressMb * 1024 * 1024}`,
    // Soft limit sends SIGXCPU (reported as cpu_limit); the hard one a second later kills.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--nproc=${MAX_PROCESSES}`,
    `--fsize=${WORKSPACE_BYTES}`,
    `--nofile=${MAX_OPEN_FILES}`,
    "--",
    ...commandFor(job),
  ];
}

const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

const MEMORY_MESSAGES = [
  /\bMemoryError\b/,
  /JavaScript heap out of memory/,
  /Fatal process OOM/,
  /Cannot allocate memory/,
  /xmalloc: cannot allocate/,
  /out of memory/i,
];

/** fd 3 carries "wflo-status N", the shell's `times`, "wflo-tar", then the workspace tar. */
function parseSide(side: Buffer) {
  const marker = side.indexOf("wflo-tar\n");
  const head = (marker === -1 ? side : side.subarray(0, marker)).toString("utf8");
  const status = /wflo-status (\d+)/.exec(head);
  const times = head.trim().split("\n").slice(1, 3);
  const secs = (s: string | undefined) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(s ?? "");
    return m ? Math.round((Number(m[1]) * 60 + Number(m[2])) * 1000) : null;
  };
  const children = times[1]?.trim().split(/\s+/) ?? [];
  return {
    status: status ? Number(status[1]) : null,
    userCpuMs: secs(children[0]),
    systemCpuMs: secs(children[1]),
    tar: marker === -1 ? null : side.subarray(marker + "wflo-tar\n".length),
  };
}

let verified = false;

function assertExecutable(path: string, what: string) {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new SandboxUnavailableError("bubblewrap", `${what} not found at ${path}`);
  }
}

function hostIdentity(): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
}

export const bubblewrapProvider: SandboxProvider = {
  name: "bubblewrap",
  isolation:
    "Linux namespaces (user, pid, net, ipc, uts), read-only /usr, private tmpfs workspace, rlimits, no capabilities",
  languages: ["python", "node", "bash"],
  async ensureAvailable() {
    if (process.platform !== "linux")
      throw new SandboxUnavailableError("bubblewrap", `bubblewrap needs Linux (this is ${process.platform})`);
    assertExecutable(BWRAP(), "the bwrap binary (Debian/Ubuntu package `bubblewrap`)");
    assertExecutable(PRLIMIT, "prlimit (Debian/Ubuntu package `util-linux`)");
    if (verified) return;
    const probe = spawnSync(
      BWRAP(),
      [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--uid",
        String(NOBODY),
        "--gid",
        String(NOBODY),
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "/bin/true",
      ],
      {
        ...hostIdentity(),
        cwd: "/",
        env: {} as NodeJS.ProcessEnv,
        timeout: 10_000,
        encoding: "utf8",
      },
    );
    if (probe.status !== 0) {
      throw new SandboxUnavailableError(
        "bubblewrap",
        `bwrap could not create a sandbox (unprivileged user namespaces disabled?): ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`,
      );
    }
    verified = true;
  },
  async run(job) {
    assertExecutable(INTERPRETER[job.language], `the ${job.language} interpreter`);
    const input = writeTar(job.files.map((f) => ({ path: f.path, data: fileBytes(f) })));
    const r = await runCapped({
      command: BWRAP(),
      args: bwrapArgs(job),
      ...hostIdentity(),
      stdin: Buffer.from(job.stdin, "utf8"),
      input,
      timeoutMs: job.limits.timeoutMs,
      maxOutputBytes: job.limits.maxOutputBytes,
      // Room for the status lines and tar headers around the file contents.
      maxSideBytes: MAX_RETURNED_FILES_BYTES + 256 * 1024,
    });
    const side = parseSide(r.side);
    const stdout = decodeOutput(r.stdout);
    const stderr = decodeOutput(r.stderr);
    const status = side.status;
    const signalNo = status !== null && status > 128 && status < 128 + 65 ? status - 128 : null;
    const signal = signalNo !== null ? (SIGNAL_NAMES.get(signalNo) ?? `SIG${signalNo}`) : null;

    let outcome: SandboxOutcome;
    if (r.timedOut) outcome = "timeout";
    else if (r.outputExceeded) outcome = "output_limit";
    else if (status === null) outcome = "killed";
    else if (signal === "SIGXCPU") outcome = "cpu_limit";
    else if (status === 0) outcome = "ok";
    // Runtimes die differently at the cap (python raises, V8 aborts with SIGABRT): their message tells.
    else if (MEMORY_MESSAGES.some((m) => m.test(stderr.text))) outcome = "memory_limit";
    else if (signal) outcome = "killed";
    else outcome = "error";

    const files = side.tar ? filesFromTar(side.tar, job.files, r.sideOverflow) : { files: [], truncated: false };
    return {
      outcome,
      exitCode: signal === null && status !== null ? status : null,
      signal: signal ?? (r.timedOut || r.outputExceeded ? "SIGKILL" : null),
      stdout: stdout.text,
      stderr: stderr.text,
      stdoutTruncated: r.outputExceeded && r.stdout.length > 0,
      stderrTruncated: r.outputExceeded && r.stderr.length > 0,
      binaryOutput: stdout.binary || stderr.binary,
      files: files.files,
      filesTruncated: files.truncated,
      usage: { wallMs: Math.round(r.wallMs), userCpuMs: side.userCpuMs, systemCpuMs: side.systemCpuMs },
    } satisfies SandboxOutput;
  },
};
