import type {
  TriggerRunInput,
  TriggeredRun,
  ListRunsQuery,
  RunPage,
  RunDetail,
  RunTrace,
  RerunInput,
  RerunResult,
  ReplayReport,
  Approval,
  ApprovalSummary,
  RequestApprovalInput,
  ListApprovalsQuery,
  ApprovalWithDecisions,
  DecideInput,
  DecisionResult,
  Budget,
  PausedRun,
  ApprovalPrompt,
} from "./client-types";
import { WfloApiError } from "./client-error";

export type * from "./client-types";
export { WfloApiError } from "./client-error";

/**
 * WfloClient: the wflo REST API (/api/v1) from any Node 20+ or browser program, with an API key.
 * Request and answer shapes are in client-types.ts (dates and nano-dollar bigints arrive as
 * strings). Only `import type` there: at run time this file needs nothing but `fetch`.
 */

export type WfloClientOptions = {
  /** The control panel, e.g. http://localhost:3000 (the API is under /api/v1). */
  baseUrl: string;
  /** An API key from Settings → API keys (wflo_...). */
  apiKey: string;
  /** Another fetch (a proxy-aware one, a test double); the global one by default. */
  fetch?: typeof fetch;
};

/** The server holds a long poll at most this long (GET /approvals/{id}?wait=). */
const WAIT_CAP_S = 55;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seg = (id: string) => encodeURIComponent(id);

type Query = Record<string, string | number | Date | undefined>;

export class WfloClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: WfloClientOptions) {
    if (!/^https?:\/\//.test(opts.baseUrl))
      throw new TypeError(`baseUrl must start with http:// or https:// (got ${opts.baseUrl})`);
    if (!opts.apiKey) throw new TypeError("apiKey is required (create one in Settings → API keys)");
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.apiKey = opts.apiKey;
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  // ------------------------------------------------------------------ runs

  /** Starts a run; `runId` is null if the engine has not started it within 5 s (see `runForEvent`). */
  triggerRun(input: TriggerRunInput): Promise<TriggeredRun> {
    return this.request("POST", "/runs", { body: input });
  }

  listRuns(query: ListRunsQuery = {}): Promise<RunPage> {
    return this.request("GET", "/runs", { query });
  }

  /** The run with its steps, result and cost breakdown. */
  getRun(runId: string): Promise<RunDetail> {
    return this.request("GET", `/runs/${seg(runId)}`);
  }

  getTrace(runId: string): Promise<RunTrace> {
    return this.request("GET", `/runs/${seg(runId)}/trace`);
  }

  cancelRun(runId: string): Promise<{ runId: string; status: "cancelled" }> {
    return this.request("POST", `/runs/${seg(runId)}/cancel`, { body: {} });
  }

  /** A new run with the same input, held to the original's budget unless `budgetUsd` sets another. */
  rerun(runId: string, input: RerunInput = {}): Promise<RerunResult> {
    return this.request("POST", `/runs/${seg(runId)}/rerun`, { body: input });
  }

  /** Today's code against the run's recorded results (costs nothing): where it diverges, if anywhere. */
  replay(runId: string): Promise<ReplayReport> {
    return this.request("POST", `/runs/${seg(runId)}/replay`, { body: {} });
  }

  /** The run an event started, polled until the engine has started it. */
  async runForEvent(eventId: string, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<string> {
    const end = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const page = await this.listRuns({ eventId });
      if (page.items[0]) return page.items[0].id;
      if (Date.now() > end)
        throw new WfloApiError(
          0,
          "NO_RUN",
          `the server accepted event ${eventId} but started no run within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s: is its engine running?`,
        );
      await pause(opts.pollMs ?? 500);
    }
  }

  // ------------------------------------------------------------------ approvals

  listApprovals(query: ListApprovalsQuery = {}): Promise<{ approvals: ApprovalSummary[] }> {
    return this.request("GET", "/approvals", { query });
  }

  /** With `waitSeconds` (at most 55) the server answers as soon as the approval is final, or after that long still pending. */
  getApproval(
    approvalId: string,
    opts: { waitSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<ApprovalWithDecisions> {
    return this.request("GET", `/approvals/${seg(approvalId)}`, {
      query: { wait: opts.waitSeconds },
      signal: opts.signal,
    });
  }

  /**
   * Asks for a human decision from an agent that is not a wflo workflow: routed by the same
   * approval policy as a workflow's gate (it may come back already final), queued and notified.
   * Then `waitForDecision(approval.id)`. The key that asks can never approve its own request.
   * `idempotencyKey` (sent as the Idempotency-Key header; 1-200 characters): make one per request
   * (e.g. crypto.randomUUID()) and reuse it when retrying, and a retry gets the same approval back
   * instead of asking twice; the same key with a different request is refused (409 CONFLICT).
   */
  requestApproval(input: RequestApprovalInput, opts: { idempotencyKey?: string } = {}): Promise<ApprovalWithDecisions> {
    return this.request("POST", "/approvals", {
      body: input,
      headers: opts.idempotencyKey === undefined ? undefined : { "idempotency-key": opts.idempotencyKey },
    });
  }

  /**
   * Long-polls the approval until it is final (decided, denied, or expired with its onTimeout
   * default applied) and returns it with `approval.decision`. With `timeoutMs` it returns when
   * that has passed, `decision.final` false if nobody decided; `signal` stops waiting.
   */
  async waitForDecision(
    approvalId: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ApprovalWithDecisions> {
    const end = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    for (;;) {
      const left = end - Date.now();
      const waitSeconds = Math.max(0, Math.min(WAIT_CAP_S, Math.ceil(left / 1000)));
      const r = await this.getApproval(approvalId, { waitSeconds, signal: opts.signal });
      if (r.approval.decision.final || left <= 0 || waitSeconds === 0) return r;
    }
  }

  decideApproval(approvalId: string, input: DecideInput): Promise<DecisionResult> {
    return this.request("POST", `/approvals/${seg(approvalId)}/decision`, { body: input });
  }

  // ------------------------------------------------------------------ budgets

  listBudgets(): Promise<{ budgets: Budget[] }> {
    return this.request("GET", "/budgets");
  }

  // ------------------------------------------------------------------ paused runs (human in the loop)

  /** Runs stopped at an approval gate, newest first, each with the pending approvals it waits for. */
  async listPausedRuns(query: { workflowId?: string } = {}): Promise<PausedRun[]> {
    const [{ items }, { approvals }] = await Promise.all([
      this.listRuns({ status: "waiting", workflowId: query.workflowId, limit: 100 }),
      this.listApprovals({ status: "pending", workflowId: query.workflowId, limit: 200 }),
    ]);
    return items
      .map((run) => ({ run, approvals: approvals.filter((a) => a.runId === run.id) }))
      .filter((p) => p.approvals.length > 0);
  }

  /**
   * What an approver is asked: by approval id (a UUID), or by run id (the approval that run
   * waits for now; a WfloApiError 404 NOT_FOUND when it waits for none).
   */
  async getApprovalPrompt(runIdOrApprovalId: string): Promise<ApprovalPrompt> {
    const a = await this.resolveApproval(runIdOrApprovalId);
    return {
      id: a.id,
      runId: a.runId,
      workflowId: a.workflowId,
      gate: a.gate,
      action: a.action,
      summary: a.summary,
      details: a.details,
      payload: a.payload,
      allowEdit: a.allowEdit,
      risk: a.risk,
      status: a.status,
      deciderRole: a.deciderRole,
      deadlineAt: a.deadlineAt,
      link: a.link,
    };
  }

  /** Decides the approval (or the one the run waits for), so the paused run goes on (or stops). */
  async resume(runIdOrApprovalId: string, input: DecideInput): Promise<DecisionResult> {
    const a = await this.resolveApproval(runIdOrApprovalId);
    return this.decideApproval(a.id, input);
  }

  approve(runIdOrApprovalId: string, opts: Omit<DecideInput, "decision"> = {}): Promise<DecisionResult> {
    return this.resume(runIdOrApprovalId, { ...opts, decision: "approve" });
  }

  reject(runIdOrApprovalId: string, opts: Omit<DecideInput, "decision"> = {}): Promise<DecisionResult> {
    return this.resume(runIdOrApprovalId, { ...opts, decision: "reject" });
  }

  private async resolveApproval(id: string): Promise<Approval> {
    if (UUID.test(id)) return (await this.getApproval(id)).approval;
    const { approvals } = await this.listApprovals({ status: "pending", runId: id });
    const first = approvals[0];
    // The list leaves details and payloads out; the prompt shows them.
    if (first) return (await this.getApproval(first.id)).approval;
    await this.getRun(id); // an unknown run is a 404 naming it
    throw new WfloApiError(404, "NOT_FOUND", `run ${id} is not waiting for an approval`, "runId");
  }

  // ------------------------------------------------------------------ transport

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    o: { query?: Query; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const q = Object.entries(o.query ?? {})
      .filter((e): e is [string, string | number | Date] => e[1] !== undefined && e[1] !== "")
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]);
    const url = `${this.baseUrl}/api/v1${path}${q.length ? `?${new URLSearchParams(q)}` : ""}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          ...o.headers,
          authorization: `Bearer ${this.apiKey}`,
          accept: "application/json",
          ...(o.body !== undefined && { "content-type": "application/json" }),
        },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        signal: o.signal,
      });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new WfloApiError(
        0,
        "UNREACHABLE",
        `cannot reach ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      );
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      throw new WfloApiError(
        res.status,
        "BAD_RESPONSE",
        `${this.baseUrl} answered ${res.status} with something other than JSON: is it a wflo control panel?`,
      );
    }
    if (!res.ok) {
      const err = (data ?? {}) as { error?: unknown; code?: unknown; field?: unknown; details?: unknown };
      throw new WfloApiError(
        res.status,
        typeof err.code === "string" ? err.code : `HTTP_${res.status}`,
        typeof err.error === "string" ? err.error : `HTTP ${res.status}`,
        typeof err.field === "string" ? err.field : undefined,
        err.details && typeof err.details === "object" ? (err.details as Record<string, unknown>) : undefined,
      );
    }
    return data as T;
  }
}
