import { createRequire } from "node:module";
import {
  SandboxUnavailableError,
  type SandboxJob,
  type SandboxOutcome,
  type SandboxOutput,
  type SandboxProvider,
} from "../types";
import { fileBytes } from "../types";
import { capFiles, decodeOutput } from "../output";

/**
 * isolated-vm: JavaScript snippets in a separate V8 isolate inside the worker process, with a
 * heap limit and a time limit. There is no Node API inside (no require, process, fs, network):
 * the code sees `stdin` (a string), `files` (an object of path -> utf8 text it may change or
 * extend) and `console.log`/`console.error`. Same process as wflo: a V8 bug is a host bug, so
 * this suits short pure computations, not hostile code that needs an OS boundary.
 */

type Ivm = typeof import("isolated-vm");

let loaded: Ivm | null = null;
function loadIvm(): Ivm {
  if (loaded) return loaded;
  try {
    // A runtime require keeps bundlers from pulling the native addon into the app's bundle.
    const name = "isolated-vm";
    loaded = createRequire(import.meta.url)(name) as Ivm;
    return loaded;
  } catch (e) {
    throw new SandboxUnavailableError(
      "isolated-vm",
      `the isolated-vm npm package (a native addon) could not be loaded: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
    );
  }
}

/** The isolate's own heap floor: smaller limits are raised to it (isolated-vm refuses < 8 MB). */
const MIN_HEAP_MB = 8;

export const isolatedVmProvider: SandboxProvider = {
  name: "isolated-vm",
  isolation:
    "a separate V8 isolate in the worker process: heap and time limits, no Node APIs, no filesystem or network",
  languages: ["node"],
  async ensureAvailable() {
    loadIvm();
  },
  async run(job: SandboxJob): Promise<SandboxOutput> {
    const ivm = loadIvm();
    const { limits } = job;
    const isolate = new ivm.Isolate({ memoryLimit: Math.max(MIN_HEAP_MB, limits.memoryMb) });
    const started = performance.now();
    const out: string[] = [];
    const err: string[] = [];
    let outputBytes = 0;
    let outputExceeded = false;
    const write =
      (into: string[]) =>
      (...args: unknown[]) => {
        if (outputExceeded) return;
        const line = `${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`;
        const room = limits.maxOutputBytes - outputBytes;
        outputBytes += Buffer.byteLength(line);
        if (outputBytes > limits.maxOutputBytes) {
          into.push(Buffer.from(line).subarray(0, Math.max(room, 0)).toString("utf8"));
          outputExceeded = true;
          // Stops the script at its next instruction.
          isolate.dispose();
          return;
        }
        into.push(line);
      };
    const inputFiles = Object.fromEntries(job.files.map((f) => [f.path, decodeOutput(fileBytes(f)).text]));
    let outcome: SandboxOutcome = "ok";
    let exitCode: number | null = 0;
    let resultFiles: Record<string, string> = {};
    try {
      const context = await isolate.createContext();
      const g = context.global;
      await g.set("globalThis", g.derefInto());
      await g.set("__log", new ivm.Callback(write(out)));
      await g.set("__err", new ivm.Callback(write(err)));
      await g.set("stdin", job.stdin);
      await g.set("files", new ivm.ExternalCopy(inputFiles).copyInto());
      await context.eval(
        `globalThis.console = { log: (...a) => __log(...a.map(String)), error: (...a) => __err(...a.map(String)), warn: (...a) => __err(...a.map(String)), info: (...a) => __log(...a.map(String)) };`,
      );
      // Wall clock and CPU share one timer here: isolated-vm stops a script by elapsed time.
      const timeout = Math.min(limits.timeoutMs, limits.cpuSeconds * 1000);
      await context.eval(job.code, { timeout });
      const copied: unknown = await context.eval("JSON.stringify(files)", { timeout: 1000, copy: true });
      resultFiles = typeof copied === "string" ? (JSON.parse(copied) as Record<string, string>) : {};
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      exitCode = null;
      if (outputExceeded) outcome = "output_limit";
      else if (/memory limit/i.test(message)) outcome = "memory_limit";
      else if (/timed out/i.test(message))
        outcome = limits.cpuSeconds * 1000 <= limits.timeoutMs ? "cpu_limit" : "timeout";
      else {
        outcome = "error";
        exitCode = 1;
      }
      if (!outputExceeded) err.push(`${message}\n`);
    } finally {
      if (!isolate.isDisposed) isolate.dispose();
    }
    const files = capFiles(
      Object.entries(resultFiles)
        .filter(([path, content]) => typeof content === "string" && inputFiles[path] !== content)
        .map(([path, content]) => ({ path, data: Buffer.from(content, "utf8") })),
    );
    return {
      outcome,
      exitCode,
      signal: null,
      stdout: out.join(""),
      stderr: err.join(""),
      stdoutTruncated: outputExceeded,
      stderrTruncated: false,
      binaryOutput: false,
      files: files.files,
      filesTruncated: files.truncated,
      usage: { wallMs: Math.round(performance.now() - started), userCpuMs: null, systemCpuMs: null },
    };
  },
};
