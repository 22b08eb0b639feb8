/** Which functions wflo's middlewares govern, and under which workflow id. */

/** wflo's own functions are plumbing, not runs anyone asked for. */
export const SYSTEM_FUNCTION_PREFIX = "system-";

/** The part of an SDK function a middleware hook needs: its id. */
export type Fn = { readonly opts: { readonly id: string } };

export const workflowIdOf = (fn: Fn) => fn.opts.id;

/** A workflow run wflo records and governs (not one of its own system functions). */
export const recorded = (fn: Fn | null): fn is Fn => Boolean(fn && !fn.opts.id.startsWith(SYSTEM_FUNCTION_PREFIX));
