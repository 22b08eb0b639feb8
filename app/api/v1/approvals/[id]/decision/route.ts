import { getDb } from "@/db/client";
import { decideApproval } from "@/server/approvals/decide";
import { authenticateApiKey } from "@/server/apikeys/service";
import { errorResponse, jsonError } from "@/server/apikeys/http";
import { can } from "@/server/auth/permissions";

/** POST /api/v1/approvals/:id/decision { decision, comment?, payload? } with `Authorization: Bearer <key>`: the same decide service and rules as the panel. */
export async function POST(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const actor = await authenticateApiKey(db, req);
  if (!actor) return jsonError(401, "missing, unknown or revoked API key (send Authorization: Bearer <key>)");
  if (!can(actor.role, "approvals:decide")) return jsonError(403, `this key's role (${actor.role}) lacks the permission approvals:decide`);
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return jsonError(400, "body must be JSON: { decision: \"approve\" | \"reject\", comment?, payload? }");
  }
  const fields = body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  try {
    const { id } = await params;
    const result = await decideApproval(db, actor, { ...fields, approvalId: id } as Parameters<typeof decideApproval>[2]);
    return Response.json(result);
  } catch (err) {
    return errorResponse(err);
  }
}
