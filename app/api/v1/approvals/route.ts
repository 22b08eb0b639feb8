import { getDb } from "@/db/client";
import { authenticateApiKey } from "@/server/apikeys/service";
import { errorResponse, jsonError } from "@/server/apikeys/http";
import { listApprovals, listApprovalsInput } from "@/server/approvals/queries";
import { can } from "@/server/auth/permissions";

/** GET /api/v1/approvals?status=pending (default) | any status, &risk=, &workflowId=, &limit= */
export async function GET(req: Request) {
  const db = getDb();
  const actor = await authenticateApiKey(db, req);
  if (!actor) return jsonError(401, "missing, unknown or revoked API key (send Authorization: Bearer <key>)");
  if (!can(actor.role, "approvals:read")) return jsonError(403, `this key's role (${actor.role}) lacks the permission approvals:read`);
  const q = new URL(req.url).searchParams;
  const status = q.get("status") ?? "pending";
  const parsed = listApprovalsInput.safeParse({
    view: status === "pending" ? "pending" : "history",
    status: status === "pending" || status === "all" ? undefined : status,
    risk: q.get("risk") ?? undefined,
    workflowId: q.get("workflowId") ?? undefined,
    limit: q.get("limit") ? Number(q.get("limit")) : undefined,
  });
  if (!parsed.success) return jsonError(400, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  try {
    const rows = await listApprovals(db, parsed.data);
    return Response.json({ approvals: rows.map(({ viewer: _viewer, ...a }) => ({ ...a, link: `/approvals/${a.id}` })) });
  } catch (err) {
    return errorResponse(err);
  }
}
