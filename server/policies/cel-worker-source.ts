/**
 * The code of the CEL worker thread (see cel-sandbox.ts), as the source text Node runs with
 * `new Worker(source, { eval: true })`. It is a string rather than a file so that no bundler has
 * to know about a second entry point: the worker loads the CEL library from the app's own
 * node_modules at run time.
 *
 * Protocol: the host sends `{ id, conditions, vars, skip }`; the worker evaluates the conditions
 * in order until one is `true`, writing the index of the condition it is on into the shared
 * `progress` array (slot 0: index, slot 1: a counter bumped per condition) so the host's
 * watchdog can tell which condition overran without a message per condition. It answers
 * `{ id, results }`, one `{ matched, error? }` per condition evaluated.
 */
export const CEL_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");
const progress = new Int32Array(workerData.progress);
const cache = new Map();
const firstLine = (e) => String((e && e.message) || e).split("\n")[0];

// The app's own copy of the library: from the working directory (npm start, tests), else from the
// script that started the process (node_modules/.bin/next, a CLI), whose node_modules it shares.
const resolveCel = () => {
  let last;
  for (const from of workerData.resolveFrom) {
    try {
      return createRequire(from).resolve("@marcbachmann/cel-js");
    } catch (e) {
      last = e;
    }
  }
  throw last;
};

Promise.resolve().then(() => import(pathToFileURL(resolveCel()).href)).then(({ parse }) => {
  const compile = (expression) => {
    let fn = cache.get(expression);
    if (!fn) {
      fn = parse(expression);
      if (cache.size > 2000) cache.clear();
      cache.set(expression, fn);
    }
    return fn;
  };
  parentPort.on("message", ({ id, conditions, vars, skip }) => {
    const results = [];
    for (let i = 0; i < conditions.length; i++) {
      Atomics.store(progress, 0, i);
      Atomics.add(progress, 1, 1);
      if (skip.includes(i)) {
        results.push({ matched: false, skipped: true });
        continue;
      }
      try {
        const v = compile(conditions[i])(vars);
        if (typeof v !== "boolean") {
          results.push({ matched: false, error: "condition returned " + typeof v + ", not a boolean" });
          continue;
        }
        results.push({ matched: v });
        if (v) break;
      } catch (e) {
        results.push({ matched: false, error: firstLine(e) });
      }
    }
    Atomics.store(progress, 0, -1);
    parentPort.postMessage({ id, results });
  });
  parentPort.postMessage({ ready: true });
}, (e) => parentPort.postMessage({ failed: firstLine(e) }));
`;
