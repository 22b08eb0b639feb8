/** Which functions wflo's middlewares govern, and under which workflow id. */

/** wflo's own functions are plumbing, not runs anyone asked for. */
export const SYSTEM_FUNCTION_PREFIX = "system-";

/** The part of an SDK function a middleware hook needs: its id and triggers. */
export type Fn = { readonly opts: { readonly id: string; readonly triggers?: readonly unknown[] } };

export const workflowIdOf = (fn: Fn) => fn.opts.id;

const isSystem = (fn: Fn) => fn.opts.id.startsWith(SYSTEM_FUNCTION_PREFIX);

/** A workflow run wflo records and governs (not one of its own system functions). */
export const recorded = (fn: Fn | null): fn is Fn => Boolean(fn && !isSystem(fn));

const onSchedule = (fn: Fn) => (fn.opts.triggers ?? []).some((t) => typeof t === "object" && t !== null && "cron" in t);

/**
 * A scheduled system workflow (expiry, alert delivery, pruning): recorded as a run so people can
 * see it ran, but never governed (no guards, gates, budgets or ctx.wflo: those use `recorded`).
 * Event-triggered system functions (lifecycle, rollback) stay unrecorded plumbing.
 */
export const systemRun = (fn: Fn | null): fn is Fn => Boolean(fn && isSystem(fn) && onSchedule(fn));

/**
 * What the recording middleware writes rows for: every governed run and the scheduled system
 * ones (the signature middleware checks exactly these requests for it).
 */
export const recordedAsRun = (fn: Fn | null): fn is Fn => recorded(fn) || systemRun(fn);
