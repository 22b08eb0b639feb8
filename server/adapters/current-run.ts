import { AsyncLocalStorage } from "node:async_hooks";
import type { AdapterContext } from "./framework";

/**
 * The workflow run the current async call chain belongs to. Code deep inside an agent (an SDK
 * `checkpoint(name, fn)` or `trackLlmCall({ model }, fn)` wrapper, a LangGraph node) has no
 * `ctx` parameter, so it finds the run here. One store per engine request: the function body
 * re-executes from the top on every request, so per-request counters give every request the
 * same deterministic step ids.
 */
export type CurrentRun = {
  ctx: AdapterContext;
  /** Call counters for deterministic step ids (`track:<model>:<n>`), per request. */
  counters: Map<string, number>;
  /**
   * Set while a durable step's handler runs (an SDK `checkpoint(name, fn)` step): steps cannot
   * nest, so a call made there is governed inline and keyed under this id instead.
   */
  step?: string;
};

const store = new AsyncLocalStorage<CurrentRun>();

/** Runs `work` as part of the run `ctx`; re-entering with the same context keeps its counters. */
export function withCurrentRun<T>(ctx: AdapterContext, work: () => Promise<T>): Promise<T> {
  const current = store.getStore();
  if (current?.ctx === ctx) return work();
  return store.run({ ctx, counters: new Map() }, work);
}

/** Runs `work` as the handler of durable step `stepId` of `run`, with its own call counters. */
export function withinStep<T>(run: CurrentRun, stepId: string, work: () => Promise<T>): Promise<T> {
  return store.run({ ctx: run.ctx, counters: new Map(), step: stepId }, work);
}

/** The run this code runs in, or undefined outside any workflow. */
export function currentRun(): CurrentRun | undefined {
  return store.getStore();
}

/** The next id for a call counted under `base` in this request: `<base>:1`, `<base>:2`, ... */
export function nextCallId(run: CurrentRun, base: string): string {
  const n = (run.counters.get(base) ?? 0) + 1;
  run.counters.set(base, n);
  return `${base}:${n}`;
}
