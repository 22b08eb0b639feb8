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
 * E2B remote sandboxes (Firecracker microVMs run by e2b.dev) through the official `e2b` SDK,
 * selected with WFLO_SANDBOX_PROVIDER=e2b and authorised by E2B_API_KEY. One sandbox per
 * execution, internet access off, killed afterwards. Limits inside are ulimits set before the
 * code runs; the VM's own size is the template's. Untested here (no internet on the build machine).
 */

type E2b = typeof import("e2b");
const TEMPLATE = () => env.WFLO_SANDBOX_E2B_TEMPLATE;
const WORKSPACE = "/home/user/workspace";
const INTERPRETER: Record<SandboxLanguage, string> = { python: "python3", node: "node", bash: "bash" };
const EXT: Record<SandboxLanguage, string> = { python: "py", node: "js", bash: "sh" };

async function load(): Promise<E2b> {
  try {
    return (await import("e2b")) as E2b;
  } catch (e) {
    throw new SandboxUnavailableError(
      "e2b",
      `the e2b npm package could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export const e2bProvider: SandboxProvider = {
  name: "e2b",
  isolation: "a remote E2B microVM per execution, internet access off, ulimits inside",
  languages: ["python", "node", "bash"],
  async ensureAvailable() {
    if (!env.E2B_API_KEY) throw new SandboxUnavailableError("e2b", "E2B_API_KEY is not set");
    await load();
  },
  async run(job: SandboxJob): Promise<SandboxOutput> {
    const { Sandbox, CommandExitError, TimeoutError } = await load();
    const { limits } = job;
    const started = performance.now();
    const sbx = await Sandbox.create(TEMPLATE(), {
      apiKey: env.E2B_API_KEY,
      timeoutMs: limits.timeoutMs + 60_000,
      allowInternetAccess: false,
    });
    try {
      const input = writeTar([...job.files.map((f) => ({ path: f.path, data: fileBytes(f) }))]);
      const main = `/tmp/wflo-main.${EXT[job.language]}`;
      await sbx.files.write(main, job.code);
      await sbx.files.write("/tmp/wflo-stdin", job.stdin);
      await sbx.files.write(
        "/tmp/wflo-in.tar",
        input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) as ArrayBuffer,
      );
      await sbx.commands.run(`mkdir -p ${WORKSPACE} && tar -x -f /tmp/wflo-in.tar -C ${WORKSPACE}`);
      const out: string[] = [];
      const err: string[] = [];
      let bytes = 0;
      let outputExceeded = false;
      const capture = (into: string[]) => (data: string) => {
        bytes += Buffer.byteLength(data);
        if (bytes > limits.maxOutputBytes) outputExceeded = true;
        else into.push(data);
      };
      const ulimits = `ulimit -v ${limits.memoryMb * 1024} -t ${limits.cpuSeconds} -u 64 -n 256`;
      let exitCode: number | null = null;
      let timedOut = false;
      try {
        const r = await sbx.commands.run(
          `cd ${WORKSPACE} && ${ulimits} && exec ${INTERPRETER[job.language]} ${quote(main)} < /tmp/wflo-stdin`,
          { timeoutMs: limits.timeoutMs, onStdout: capture(out), onStderr: capture(err) },
        );
        exitCode = r.exitCode;
      } catch (e) {
        if (e instanceof CommandExitError) exitCode = e.exitCode;
        else if (e instanceof TimeoutError) timedOut = true;
        else throw e;
      }
      const listing = await sbx.commands.run(
        `tar -c -f - -C ${WORKSPACE} . | head -c ${MAX_RETURNED_FILES_BYTES + 256 * 1024} | base64 -w0`,
      );
      const files = filesFromTar(Buffer.from(listing.stdout.trim(), "base64"), job.files, false);
      const stdout = decodeOutput(Buffer.from(out.join("")));
      const stderr = decodeOutput(Buffer.from(err.join("")));
      const signal = exitCode !== null && exitCode > 128 ? exitCode - 128 : null;
      let outcome: SandboxOutcome;
      if (timedOut) outcome = "timeout";
      else if (outputExceeded) outcome = "output_limit";
      else if (signal === 24) outcome = "cpu_limit";
      else if (exitCode === 0) outcome = "ok";
      else if (/MemoryError|heap out of memory|Cannot allocate memory/.test(stderr.text)) outcome = "memory_limit";
      else if (signal !== null) outcome = "killed";
      else outcome = "error";
      return {
        outcome,
        exitCode: signal === null ? exitCode : null,
        signal: signal !== null ? `SIG${signal}` : null,
        stdout: stdout.text,
        stderr: stderr.text,
        stdoutTruncated: outputExceeded,
        stderrTruncated: false,
        binaryOutput: stdout.binary || stderr.binary,
        files: files.files,
        filesTruncated: files.truncated,
        usage: { wallMs: Math.round(performance.now() - started), userCpuMs: null, systemCpuMs: null },
      };
    } finally {
      await sbx.kill().catch(() => undefined);
    }
  },
};
