import { spawn, type SpawnOptions } from "node:child_process";
import type { Readable, Writable } from "node:stream";

/**
 * Runs one sandbox process with the host-side guarantees every process-based provider needs:
 * its own process group (the wall clock kills the whole group, not just the first pid),
 * stdout/stderr read as streams and the group killed as soon as they pass the output cap (so
 * "print gigabytes" never reaches memory), and an optional side channel (fd 3 out, fd 4 in)
 * for moving the workspace in and out.
 */

export type CappedRun = {
  command: string;
  args: string[];
  /** Host uid/gid to run as (set when wflo runs as root, so the sandbox is nobody on the host too). */
  uid?: number;
  gid?: number;
  stdin: Buffer;
  /** Bytes written to the child's fd 4 (then closed). */
  input?: Buffer;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Max bytes kept from the child's fd 3; reading stops past it. */
  maxSideBytes: number;
};

export type CappedResult = {
  stdout: Buffer;
  stderr: Buffer;
  side: Buffer;
  sideOverflow: boolean;
  outputExceeded: boolean;
  timedOut: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
};

export function runCapped(opts: CappedRun): Promise<CappedResult> {
  const started = performance.now();
  const spawnOpts: SpawnOptions = {
    // Own process group: kill(-pid) reaches every process the sandbox started on the host side.
    detached: true,
    // Nothing of the host's environment crosses over; the sandbox sets its own.
    env: {} as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe", "pipe", "pipe"],
    uid: opts.uid,
    gid: opts.gid,
  };
  const child = spawn(opts.command, opts.args, spawnOpts);

  return new Promise<CappedResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const side: Buffer[] = [];
    let outputBytes = 0;
    let sideBytes = 0;
    let sideOverflow = false;
    let outputExceeded = false;
    let timedOut = false;
    let killed = false;

    const killGroup = () => {
      if (killed || child.pid === undefined) return;
      killed = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };

    const capture = (into: Buffer[]) => (chunk: Buffer) => {
      const room = opts.maxOutputBytes - outputBytes;
      if (room > 0) into.push(chunk.length <= room ? chunk : chunk.subarray(0, room));
      outputBytes += chunk.length;
      if (outputBytes > opts.maxOutputBytes && !outputExceeded) {
        outputExceeded = true;
        killGroup();
      }
    };
    child.stdout?.on("data", capture(out));
    child.stderr?.on("data", capture(err));

    const sideOut = child.stdio[3] as Readable | null;
    sideOut?.on("data", (chunk: Buffer) => {
      if (sideOverflow) return;
      const room = opts.maxSideBytes - sideBytes;
      if (chunk.length > room) {
        side.push(chunk.subarray(0, Math.max(room, 0)));
        sideOverflow = true;
        // Stop reading: the writer inside gets EPIPE; its files are cut here.
        sideOut.destroy();
        return;
      }
      side.push(chunk);
      sideBytes += chunk.length;
    });
    sideOut?.on("error", () => undefined);

    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);

    // EPIPE when the sandbox exits (or is killed) before reading all input is expected.
    const feed = (w: Writable | null, data: Buffer | undefined) => {
      if (!w) return;
      w.on("error", () => undefined);
      w.end(data ?? Buffer.alloc(0));
    };
    feed(child.stdio[4] as Writable | null, opts.input);
    feed(child.stdin, opts.stdin);

    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      // No group kill here: the sandbox's PID namespace died with its init, and the pid may be reused.
      killed = true;
      resolve({
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        side: Buffer.concat(side),
        sideOverflow,
        outputExceeded,
        timedOut,
        exitCode: code,
        signal,
        wallMs: performance.now() - started,
      });
    });
  });
}
