import { RUN_STATUSES, type RunStatus } from "@/db/schema/runs";

/**
 * The runs list's filters, read from the URL so a filtered list can be shared and survives
 * reloads. Not a client module: the page prefetches with the same input the table then asks
 * for, so the two must build it the same way (same query key, no second fetch).
 */
export type RunFilters = {
  workflowId?: string;
  status?: RunStatus;
  triggeredBy?: string;
  from?: string;
  to?: string;
  /** Also wflo's own scheduled system runs (`?system=1`); hidden by default, as the server does. */
  system?: boolean;
};

export type SearchParamsLike = URLSearchParams | Record<string, string | string[] | undefined>;

export function filtersFromParams(p: SearchParamsLike): RunFilters {
  const get = (k: string) => {
    const v = p instanceof URLSearchParams ? p.get(k) : p[k];
    return typeof v === "string" && v.trim() ? v.trim() : undefined;
  };
  const status = get("status");
  return {
    workflowId: get("workflow"),
    status: status && (RUN_STATUSES as readonly string[]).includes(status) ? (status as RunStatus) : undefined,
    triggeredBy: get("by"),
    from: get("from"),
    to: get("to"),
    system: get("system") === "1" ? true : undefined,
  };
}

/** The filters in effect: the URL's, with a page's fixed workflow (a workflow's own page) over them. */
export function effectiveFilters(p: SearchParamsLike, fixedWorkflowId?: string): RunFilters {
  return { ...filtersFromParams(p), ...(fixedWorkflowId ? { workflowId: fixedWorkflowId } : {}) };
}

export const RUNS_PAGE_SIZE = 25;

/**
 * Date inputs give days; "to" includes the whole day. Days are read in the local time zone,
 * so a server in another zone than the browser prefetches a different range and the table
 * simply fetches its own.
 */
export function toQueryInput(f: RunFilters, limit = RUNS_PAGE_SIZE) {
  const day = (s: string | undefined, end: boolean) => {
    if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
    const d = new Date(`${s}T00:00:00`);
    if (Number.isNaN(d.getTime())) return undefined;
    return end ? new Date(d.getTime() + 86_400_000 - 1) : d;
  };
  return {
    workflowId: f.workflowId,
    status: f.status,
    triggeredBy: f.triggeredBy,
    from: day(f.from, false),
    to: day(f.to, true),
    system: f.system ?? false,
    limit,
  };
}
