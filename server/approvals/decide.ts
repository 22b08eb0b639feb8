import { DomainError, fieldError } from "@/server/errors";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { approvalDecisions, approvals, type ApprovalDecisionRow, type ApprovalRow } from "@/db/schema";
import type { Role } from "@/db/schema/auth";
import { writeAudit } from "@/server/audit/chain";
import { approvalInScope } from "@/server/apikeys/scope";
import { roleRank } from "@/server/auth/permissions";
import type { Principal } from "@/server/auth/principal";
import { capJson } from "@/server/security/json-size";
import { dispatchSoon, notifyApproval } from "./notify";
import { deliverDecision } from "./deliver";
import { deciderPrincipal, requesterPrincipal, type ActingPerson } from "./principal";

/** Who decides: a signed-in person, or an API key (ChatOps bots) acting for its creator with its own role (never above the creator's). */
export type Decider = { kind: "user" | "api_key"; id: string; email: string; role: Role };

export const decideInput = z.object({
  approvalId: z.uuid("approvalId must be an approval id (a UUID)"),
  decision: z.enum(["approve", "reject"], { error: "decision must be approve or reject" }),
  comment: z
    .string({ error: "comment must be text" })
    .trim()
    .max(2000, "comment must be at most 2000 characters")
    .optional(),
  /** The approver's edit of the payload; only when the gate allows editing. Capped like the payload it replaces (./limits.ts). */
  payload: z
    .record(z.string(), z.unknown(), { error: "payload must be a JSON object" })
    .superRefine(capJson("payload"))
    .optional(),
});
export type DecideInput = z.input<typeof decideInput>;

const forbidden = (message: string) => new DomainError("forbidden", message);

function refuseClosed(a: ApprovalRow): never {
  switch (a.status) {
    case "expired":
      throw new DomainError(
        "precondition_failed",
        `approval ${a.id} expired at ${a.deadlineAt.toISOString()} and can no longer be decided`,
      );
    case "cancelled":
      throw new DomainError(
        "precondition_failed",
        `approval ${a.id} was cancelled with its run and can no longer be decided`,
      );
    default:
      throw new DomainError(
        "conflict",
        `already decided: approval ${a.id} was ${a.status.replace("_", "-")} by ${a.decidedByEmail ?? "someone else"}`,
      );
  }
}

/** The edited payload against the gate's JSON Schema; the error names the field. */
function checkPayload(a: ApprovalRow, payload: Record<string, unknown>): void {
  if (!a.allowEdit) throw fieldError("bad_request", "payload", "this gate does not allow editing the payload");
  if (!a.payloadSchema) return;
  const schema = z.fromJSONSchema(a.payloadSchema as Parameters<typeof z.fromJSONSchema>[0]);
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw DomainError.fromZod(parsed.error, { prefix: "payload" });
  }
}

/** Why approving is self-approval, in the decider's terms. */
function selfApprovalMessage(a: ApprovalRow, who: Decider, me: ActingPerson, requestedByKey: boolean): string {
  const external = a.runId === null;
  if (who.kind === "user") {
    if (external)
      return "you created the API key that sent this request, so you cannot approve it; another approver must";
    return "you started this run, so you cannot approve its own high-risk gate; another approver must";
  }
  if (external && a.requestedById === who.id)
    return "this API key sent this request, so it cannot approve it; another approver must";
  if (external || requestedByKey)
    return `this API key acts for ${me.email}, whose API key ${external ? "sent this request" : "started this run"}, so it cannot approve it; another approver must`;
  return `this API key acts for ${me.email}, who started this run, so it cannot approve its own high-risk gate; another approver must`;
}

/** Who already voted, as the decider reads it: "you", "this API key", or the creator's email. */
function alreadyVoted(prior: ApprovalDecisionRow, me: ActingPerson): string {
  if (me.apiKeyId === null) return "you already";
  return prior.apiKeyId === me.apiKeyId ? "this API key already" : `${me.email} already`;
}

export type DecideResult = {
  approvalId: string;
  status: ApprovalRow["status"];
  approvals: number;
  approvalsNeeded: number;
  final: boolean;
};

/**
 * One decision, in one transaction under the approval's row lock, so two people deciding at
 * once are serialised: exactly one makes it final, the other is told it is already decided.
 * N-of-M counts distinct people (unique (approval, decider), a key's vote being its creator's); one rejection is final.
 * After commit, a final decision wakes the run's gate, which reads it from the row.
 */
export async function decideApproval(db: Database, principal: Principal, raw: DecideInput): Promise<DecideResult> {
  const parsed = decideInput.safeParse(raw);
  if (!parsed.success) throw DomainError.fromZod(parsed.error, { root: "input" });
  const input = parsed.data;
  // A workflow-scoped key decides only its workflows' approvals: 403 naming the workflow (deciding is acting).
  await approvalInScope(db, principal, input.approvalId, "act");
  let who: Decider = {
    kind: principal.kind === "api_key" ? "api_key" : "user",
    id: principal.id,
    email: principal.email,
    role: principal.role,
  };
  const comment = input.comment?.length ? input.comment : null;

  const out = await db.transaction(async (tx) => {
    // Who decides, from the database: a person, or the creator a key acts for.
    const me = await deciderPrincipal(tx, who);
    who = { ...who, role: me.role };
    const [a] = await tx.select().from(approvals).where(eq(approvals.id, input.approvalId)).for("update");
    if (!a) throw new DomainError("not_found", `no approval with id ${input.approvalId}`);
    if (a.status !== "pending") refuseClosed(a);
    if (a.deadlineAt.getTime() <= Date.now())
      throw new DomainError(
        "precondition_failed",
        `approval ${a.id} expired at ${a.deadlineAt.toISOString()} and can no longer be decided`,
      );
    if (roleRank(who.role) < roleRank(a.deciderRole))
      throw forbidden(`deciding this approval needs the ${a.deciderRole} role or higher; yours is ${who.role}`);
    // requestedById is the user who started the run, or the API key that started it or sent an
    // external request: either way the person behind it is compared with the person deciding.
    if (input.decision === "approve" && !a.allowSelfApproval) {
      const requester = await requesterPrincipal(tx, a.requestedById);
      if (requester && requester.id === me.id) throw forbidden(selfApprovalMessage(a, who, me, requester.viaApiKey));
    }
    if (a.requireComment && !comment)
      throw fieldError("bad_request", "comment", "a comment is required to decide this approval");
    if (input.payload !== undefined) {
      if (input.decision === "reject")
        throw fieldError("bad_request", "payload", "an edited payload can only come with an approval");
      checkPayload(a, input.payload);
    }
    // Distinct approvers are distinct people: a key's vote is its creator's.
    const [prior] = await tx
      .select()
      .from(approvalDecisions)
      .where(and(eq(approvalDecisions.approvalId, a.id), eq(approvalDecisions.deciderId, me.id)));
    if (prior)
      throw new DomainError(
        "conflict",
        `${alreadyVoted(prior, me)} ${prior.decision === "approve" ? "approved" : "rejected"} this${me.apiKeyId && prior.apiKeyId !== me.apiKeyId ? " (through another API key or the panel)" : ""}; it needs ${a.approvalsNeeded} distinct approvers`,
      );
    await tx.insert(approvalDecisions).values({
      approvalId: a.id,
      deciderId: me.id,
      apiKeyId: me.apiKeyId,
      deciderEmail: who.email,
      deciderKind: who.kind,
      decision: input.decision,
      comment,
    });

    const count = a.approvalsCount + (input.decision === "approve" ? 1 : 0);
    const final = input.decision === "reject" || count >= a.approvalsNeeded;
    const status = input.decision === "reject" ? "rejected" : final ? "approved" : "pending";
    const edited = input.payload ?? a.editedPayload;
    const [after] = await tx
      .update(approvals)
      .set({
        approvalsCount: count,
        status,
        editedPayload: edited,
        ...(final && {
          decidedAt: new Date(),
          decidedById: who.kind === "user" ? who.id : null,
          decidedByEmail: who.email,
          decisionComment: comment,
        }),
      })
      .where(and(eq(approvals.id, a.id), eq(approvals.status, "pending")))
      .returning();
    if (!after) throw new DomainError("conflict", `already decided: approval ${a.id}`);
    const actor = { id: who.kind === "user" ? who.id : null, email: who.email };
    await writeAudit(tx, actor, {
      action: `approval.${input.decision}`,
      targetType: "approval",
      targetId: a.id,
      before: { status: a.status, approvals: a.approvalsCount },
      after: {
        status,
        approvals: count,
        needed: a.approvalsNeeded,
        comment,
        payloadEdited: input.payload !== undefined,
        via: who.kind,
        ...(me.apiKeyId && { apiKeyId: me.apiKeyId, actsFor: me.email }),
      },
    });
    if (final) {
      await notifyApproval(tx, after, "decided", {
        title: `${status === "approved" ? "Approved" : "Rejected"}: ${a.action}`,
        message: `${who.email} ${status} "${a.gate}" of ${a.workflowId}${comment ? `: "${comment}"` : ""}.`,
        details: { outcome: status, decidedBy: who.email },
      });
    }
    return { row: after, final };
  });

  if (out.final) {
    // An external request has no run waiting on it: its caller polls GET /api/v1/approvals/{id}.
    // A run's gate is only woken: it reads this committed row itself.
    if (out.row.runId !== null) await deliverDecision(db, { runId: out.row.runId, approvalId: out.row.id });
    dispatchSoon();
  }
  return {
    approvalId: out.row.id,
    status: out.row.status,
    approvals: out.row.approvalsCount,
    approvalsNeeded: out.row.approvalsNeeded,
    final: out.final,
  };
}
