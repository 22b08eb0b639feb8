import { z } from "zod";
import { APPROVAL_STATUSES, RISK_LEVELS } from "@/db/schema";
import { approvalInScope, scopeFilter } from "@/server/apikeys/scope";
import { decideApproval, decideInput } from "@/server/approvals/decide";
import { externalApprovalInput, MAX_IDEMPOTENCY_KEY, requestExternalApproval } from "@/server/approvals/external";
import { decisionOf, decisionStatusOf, WAIT_CAP_S, waitForDecision } from "@/server/approvals/external-decision";
import {
  getApproval,
  listApprovals,
  publicApproval,
  type PublicApproval,
  type QueueApproval,
} from "@/server/approvals/queries";
import { jsonBody, RestError } from "../errors";
import { defineRoute } from "../route";
import { queryInt, uuidParams } from "../schemas";

/** The REST view of an approval: the queue's fields, its panel link, and its outcome for a caller that acts on it. */
function restApproval(a: PublicApproval) {
  const { viewer: _viewer, ...rest } = a;
  return { ...rest, link: `/approvals/${a.id}`, decision: decisionOf(a) };
}

/** A list row: the queue's fields (no details or payloads: GET /approvals/{id} has them), its link and where it stands. */
function restQueueApproval(a: QueueApproval) {
  const { viewer: _viewer, ...rest } = a;
  return { ...rest, link: `/approvals/${a.id}`, decision: decisionStatusOf(a) };
}

const listQuery = z.object({
  status: z
    .enum(["pending", "all", ...APPROVAL_STATUSES], {
      error: `status must be one of: pending, all, ${APPROVAL_STATUSES.filter((s) => s !== "pending").join(", ")}`,
    })
    .default("pending"),
  risk: z.enum(RISK_LEVELS, { error: `risk must be one of: ${RISK_LEVELS.join(", ")}` }).optional(),
  workflowId: z.string().trim().max(200, "workflowId must be at most 200 characters").optional(),
  runId: z
    .string()
    .trim()
    .max(200, "runId must be at most 200 characters")
    .optional()
    .describe("Only this run's approvals"),
  limit: queryInt("limit", 1, 200).default(50),
});

export const listApprovalsRoute = defineRoute({
  method: "GET",
  path: "/approvals",
  operationId: "listApprovals",
  tag: "Approvals",
  summary: "List approvals (pending by default)",
  permission: "approvals:read",
  query: listQuery,
  response: {
    description:
      "Approvals, each with a link to its page in the panel. Without `details`, `payload` and `decision.payload`: GET /approvals/{id} has them",
  },
  handler: async ({ db, actor, query }) => {
    const rows = await listApprovals(
      db,
      {
        view: query.status === "pending" ? "pending" : "history",
        status: query.status === "pending" || query.status === "all" ? undefined : query.status,
        risk: query.risk,
        workflowId: query.workflowId,
        limit: query.limit,
      },
      undefined,
      { workflowIds: scopeFilter(actor) },
    );
    const list = rows.filter((a) => !query.runId || a.runId === query.runId).map(restQueueApproval);
    return { approvals: list };
  },
});

const waitQuery = z.object({
  wait: queryInt("wait", 0, WAIT_CAP_S)
    .optional()
    .describe(
      `Long poll: hold the request up to this many seconds (at most ${WAIT_CAP_S}) and answer as soon as the approval is decided, denied, expired or cancelled`,
    ),
});

export const getApprovalRoute = defineRoute({
  method: "GET",
  path: "/approvals/{id}",
  operationId: "getApproval",
  tag: "Approvals",
  summary: "One approval and its decisions (poll, or long-poll with ?wait=, for the decision)",
  description: `\`approval.decision\` says what to do: \`final\` false while it waits; then \`approved\` true or false (an expired request follows its onTimeout default; \`timedOut\` says so) and \`payload\` is the payload to act on (the approver's edit, if any). With \`?wait=N\` (N ≤ ${WAIT_CAP_S}) the answer comes as soon as the approval is final, or after N seconds with it still pending: call again.`,
  permission: "approvals:read",
  params: uuidParams("an approval id"),
  query: waitQuery,
  response: { description: "The approval" },
  errors: { 404: "No approval with this id (or, for a workflow-scoped key, none of its workflows)" },
  handler: async ({ db, actor, req, params, query }) => {
    await approvalInScope(db, actor, params.id, "read");
    if (query.wait) await waitForDecision(db, params.id, query.wait * 1000, req.signal);
    const { approval, decisions } = await getApproval(db, params.id);
    return { approval: restApproval(approval), decisions };
  },
});

/** The Idempotency-Key header, if sent: a header (not a body field) so a retry can resend the exact bytes and proxies can see it. */
function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers.get("idempotency-key");
  if (raw === null) return undefined;
  const key = raw.trim();
  if (!key)
    throw new RestError(
      400,
      "BAD_REQUEST",
      `Idempotency-Key: the Idempotency-Key header must not be empty (leave it out, or send 1 to ${MAX_IDEMPOTENCY_KEY} characters)`,
      "Idempotency-Key",
    );
  if (key.length > MAX_IDEMPOTENCY_KEY)
    throw new RestError(
      400,
      "BAD_REQUEST",
      `Idempotency-Key: the Idempotency-Key header must be at most ${MAX_IDEMPOTENCY_KEY} characters (got ${key.length})`,
      "Idempotency-Key",
    );
  return key;
}

export const requestApprovalRoute = defineRoute({
  method: "POST",
  path: "/approvals",
  operationId: "requestApproval",
  tag: "Approvals",
  summary: "Request an approval from outside wflo (then poll GET /approvals/{id}?wait=)",
  description:
    "For agents that are not wflo workflows. The request goes through the same approval policy as a workflow's gate (it may be auto-approved or denied at once: see `approval.decision`), shows in the panel's queue with the same notifications, and is decided there or with POST /approvals/{id}/decision. Nothing waits on it inside wflo: poll GET /approvals/{id} (or long-poll with ?wait=) for the decision. At the deadline the `onTimeout` default applies. The key that asks can never approve its own request.\n\n" +
    `**Retries:** send an \`Idempotency-Key\` header (1 to ${MAX_IDEMPOTENCY_KEY} characters, e.g. a UUID you make once per request and reuse on every retry). The same API key with the same Idempotency-Key and the same body gets the first request's approval back as it stands now, with status 200 and the same body shape as 201, even when the copies arrive at once: one approval, one notification, one audit entry. The same key with a different body is refused with 409. Keys are scoped per API key and kept with the approval.`,
  permission: "runs:trigger",
  body: externalApprovalInput,
  status: 201,
  response: {
    description:
      "The approval as stored: pending, or already final when a policy decided it (200 instead for a retry with the same Idempotency-Key)",
  },
  errors: { 409: "This Idempotency-Key was already used by this API key for a different request" },
  handler: async ({ db, actor, req, body }) => {
    const idempotencyKey = idempotencyKeyOf(req);
    // The service checks the key's workflow scope (403 naming the workflow).
    const { row, replayed } = await requestExternalApproval(db, actor, body, { idempotencyKey });
    if (!replayed) return { approval: restApproval(publicApproval(row)), decisions: [] };
    // A retry: the first request's approval as it stands now (it may have been decided or expired meanwhile).
    const { approval, decisions } = await getApproval(db, row.id);
    return jsonBody({ approval: restApproval(approval), decisions }, 200);
  },
});

export const decideApprovalRoute = defineRoute({
  method: "POST",
  path: "/approvals/{id}/decision",
  operationId: "decideApproval",
  tag: "Approvals",
  summary: "Approve or reject",
  description:
    "The same decide service and rules as the panel: the key's role must reach the gate's decider role; one decision per key.",
  permission: "approvals:decide",
  params: uuidParams("an approval id"),
  body: decideInput.omit({ approvalId: true }),
  response: {
    description: "The approval after this decision",
    schema: z.object({
      approvalId: z.string(),
      status: z.string(),
      approvals: z.number(),
      approvalsNeeded: z.number(),
      final: z.boolean(),
    }),
  },
  errors: {
    404: "No approval with this id",
    409: "Already decided (or this key already voted)",
    412: "Expired or cancelled",
  },
  handler: async ({ db, actor, params, body }) => {
    // The service checks the key's workflow scope (403 naming the workflow: deciding is acting).
    return decideApproval(db, actor, { ...body, approvalId: params.id });
  },
});
