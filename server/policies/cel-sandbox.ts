import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { CEL_WORKER_SOURCE } from "./cel-worker-source";

/**
 * Policy conditions run in a worker thread with a time and memory budget. The CEL library has
 * parse-time limits only (AST size, depth, literal sizes), and a nested comprehension over a
 * list from the request costs n² steps at run time: evaluated on the main thread, one viewer's
 * test-box request held the event loop (every other request, the engine's included) for
 * seconds. In a worker the main thread stays free; a condition that overruns is stopped by
 * terminating the worker, and a fresh one takes its place.
 *
 * Two lanes, one worker each: real decisions (`decide`) never queue behind what anyone types
 * into the test box (`test`).
 */

/** A condition that runs longer than this (checked every this often, so at most twice this) is stopped. */
export const CEL_TIME_BUDGET_MS = 500;
/** The worker's heap; a condition that builds huge lists is stopped when it hits this. */
export const CEL_MEMORY_BUDGET_MB = 128;

export type Lane = "decide" | "test";
export type ConditionResult = { matched: boolean; error?: string; skipped?: boolean };
export type Overrun = { kind: "overrun"; index: number; reason: "time" | "memory" };
export type SandboxOutcome = { kind: "done"; results: ConditionResult[] } | Overrun;

type Job = { conditions: string[]; vars: Record<string, unknown>; skip: number[] };
type WorkerMessage = { ready?: true; failed?: string; id?: number; results?: ConditionResult[] };

class CelLane {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  /** Shared with the current worker: [index of the condition running or -1, conditions started]. */
  private progress = new Int32Array(new SharedArrayBuffer(8));
  private tail: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  /** Jobs of one lane run one at a time, in order. */
  run(job: Job): Promise<SandboxOutcome> {
    const result = this.tail.then(() => this.exec(job));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    // A fresh array per worker: a terminated worker may still write to its own for a moment.
    this.progress = new Int32Array(new SharedArrayBuffer(8));
    this.progress[0] = -1;
    const worker = new Worker(CEL_WORKER_SOURCE, {
      eval: true,
      workerData: {
        progress: this.progress.buffer,
        resolveFrom: [join(process.cwd(), "package.json"), process.argv[1]].filter(Boolean),
      },
      resourceLimits: { maxOldGenerationSizeMb: CEL_MEMORY_BUDGET_MB, maxYoungGenerationSizeMb: 16 },
    });
    worker.unref(); // an idle worker must not keep a script or a test process alive
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.ready) resolve();
        else if (m.failed) reject(new Error(`the CEL worker could not load the CEL library: ${m.failed}`));
        else return;
        worker.off("message", onMessage);
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
    this.ready.catch(() => this.discard(worker));
    return this.ready;
  }

  private discard(worker: Worker) {
    if (this.worker !== worker) return;
    this.worker = null;
    this.ready = null;
    void worker.terminate();
  }

  private async exec(job: Job): Promise<SandboxOutcome> {
    await this.start();
    const worker = this.worker!;
    const progress = this.progress;
    const id = this.nextId++;
    worker.ref(); // a caller is waiting for this answer
    return new Promise<SandboxOutcome>((resolve, reject) => {
      let seen = -1;
      const finish = (out: SandboxOutcome | Error) => {
        clearInterval(watchdog);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        worker.unref();
        if (out instanceof Error) reject(out);
        else resolve(out);
      };
      const overrun = (reason: Overrun["reason"]) => {
        const index = Atomics.load(progress, 0);
        this.discard(worker);
        finish({ kind: "overrun", index: Math.max(index, 0), reason });
      };
      // Slot 1 counts conditions started: unchanged over a whole interval means one condition
      // has been running for at least the budget.
      const watchdog = setInterval(() => {
        const started = Atomics.load(progress, 1);
        if (started === seen && Atomics.load(progress, 0) >= 0) overrun("time");
        seen = started;
      }, CEL_TIME_BUDGET_MS);
      const onMessage = (m: WorkerMessage) => {
        if (m.id === id && m.results) finish({ kind: "done", results: m.results });
      };
      const onError = (e: Error & { code?: string }) => {
        if (e.code === "ERR_WORKER_OUT_OF_MEMORY") overrun("memory");
        else {
          this.discard(worker);
          finish(e);
        }
      };
      const onExit = () => {
        this.discard(worker);
        finish(new Error("the CEL worker stopped unexpectedly"));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      seen = Atomics.load(progress, 1);
      worker.postMessage({ id, ...job });
    });
  }
}

const lanes: Record<Lane, CelLane> = { decide: new CelLane(), test: new CelLane() };

/** Evaluates conditions in order until one is true (those in `skip` are not run), off the main thread. */
export function runConditions(
  lane: Lane,
  conditions: string[],
  vars: Record<string, unknown>,
  skip: number[] = [],
): Promise<SandboxOutcome> {
  return lanes[lane].run({ conditions, vars, skip });
}
