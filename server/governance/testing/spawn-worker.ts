import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { WorkerOptions, WorkerTally } from "./reserve-worker";

export type SpawnedWorker = { ready: Promise<void>; go: () => void; done: Promise<WorkerTally>; child: ChildProcess };

/** Starts reserve-worker.ts in a separate OS process (tsx), against the database at `url`. */
export function spawnWorker(url: string, opts: WorkerOptions): SpawnedWorker {
  const root = process.cwd();
  const child = spawn(
    process.execPath,
    [
      path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
      path.join(import.meta.dirname, "reserve-worker.ts"),
      url,
      JSON.stringify(opts),
    ],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env },
    },
  );
  let out = "";
  let err = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout!.on("data", (d: Buffer) => {
    out += String(d);
    if (out.includes("ready\n")) onReady();
  });
  child.stderr!.on("data", (d: Buffer) => (err += String(d)));
  const done = new Promise<WorkerTally>((resolve, reject) => {
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`worker ${opts.name} exited with ${code}: ${err.slice(-2000)}`));
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (!line) return reject(new Error(`worker ${opts.name} printed no tally: ${out} ${err}`));
      resolve(JSON.parse(line) as WorkerTally);
    });
  });
  return { ready, go: () => child.stdin!.write("go\n"), done, child };
}
