import { DomainError } from "@/server/errors";
import type { Database } from "@/db/client";
import { jsonError } from "@/server/apikeys/http";
import { assertCallInScope } from "@/server/apikeys/scope";
import { authenticateApiKey } from "@/server/apikeys/service";
import type { ApiKeyPrincipal } from "@/server/auth/principal";
import { can } from "@/server/auth/permissions";
import { log } from "@/server/log";
import type { Metrics } from "@/server/metrics/metrics";
import { readBodyCapped } from "@/server/security/body";
import { OTLP_BODY_LIMIT, tooLargeMessage } from "@/server/security/limits";
import { otlpBadText } from "./clean-text";
import { attributes, decodeExportRequest, type ExportTraceRequest, OtlpDecodeError } from "./decode";
import { AttributeTooLargeError, ingest } from "./ingest";
import type { RateLimiter } from "./rate-limit";

function countSpans(req: ReturnType<typeof decodeExportRequest>): number {
  let n = 0;
  for (const rs of req.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

async function scopeProblem(
  db: Database,
  actor: ApiKeyPrincipal,
  req: ReturnType<typeof decodeExportRequest>,
): Promise<string | null> {
  if (actor.workflowIds === null) return null;
  try {
    for (const rs of req.resourceSpans ?? []) {
      const service = attributes(rs.resource?.attributes)["service.name"];
      const workflow = typeof service === "string" ? service : null;
      const traceIds = new Set((rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => s.traceId)));
      await assertCallInScope(db, actor, { workflow }, { runId: "traceId", workflow: "service.name" });
      for (const t of traceIds)
        await assertCallInScope(db, actor, { runId: t, workflow }, { runId: "traceId", workflow: "service.name" });
    }
    return null;
  } catch (e) {
    if (e instanceof DomainError) return e.message;
    throw e;
  }
}

/**
 * POST /api/v1/traces (OTLP/HTTP). Order matters: the key is checked before the body is read
 * (401 costs nothing), the size before it is parsed (413), the text after (400: no NUL bytes or
 * lone surrogates, naming the attribute), the rate before anything is written
 * (429), and the whole request is stored in one transaction or refused (400), so a bad request
 * never leaves half a trace behind. Success is the OTLP ExportTraceServiceResponse as JSON, with
 * partialSuccess explaining spans whose parent was never received.
 */
export async function handleOtlpTraces(
  db: Database,
  req: Request,
  deps: { limiter: RateLimiter; metrics: Metrics },
): Promise<Response> {
  const refuse = (status: number, message: string) => {
    deps.metrics.spansRejected.inc({ status: String(status) });
    return jsonError(status, message);
  };
  let actor: ApiKeyPrincipal | null;
  try {
    actor = await authenticateApiKey(db, req);
  } catch (e) {
    // A key whose creator is deactivated: refused, naming why.
    if (e instanceof DomainError && e.code === "forbidden") return refuse(403, e.message);
    throw e;
  }
  if (!actor) return refuse(401, "missing, unknown or revoked API key (send Authorization: Bearer <wflo API key>)");
  if (!can(actor.role, "runs:trigger"))
    return refuse(403, `this key's role (${actor.role}) lacks the permission runs:trigger, which sending traces needs`);
  const body = await readBodyCapped(req, OTLP_BODY_LIMIT.bytes);
  if (!body.ok) return refuse(413, `${tooLargeMessage(OTLP_BODY_LIMIT)}; send smaller batches`);
  let decoded: ExportTraceRequest;
  try {
    decoded = decodeExportRequest(body.bytes, req.headers.get("content-type") ?? "");
  } catch (e) {
    if (e instanceof OtlpDecodeError)
      return refuse(
        e.message.startsWith("unsupported Content-Type") ? 415 : 400,
        `malformed OTLP payload: ${e.message}`,
      );
    throw e;
  }
  // Refused, not stripped: a span is evidence, and silently changed text would be a different record.
  const badText = otlpBadText(decoded);
  if (badText) return refuse(400, badText);
  // A workflow-scoped key may only send traces of its workflows (service.name), onto runs of its workflows.
  const outOfScope = await scopeProblem(db, actor, decoded);
  if (outOfScope) return refuse(403, outOfScope);
  const n = countSpans(decoded);
  const rate = deps.limiter.take(actor.id, n);
  if (!rate.ok) {
    deps.metrics.spansRejected.inc({ status: "429" });
    return Response.json(
      {
        error: {
          status: 429,
          message: `trace rate limit exceeded for this API key (WFLO_OTLP_RATE_LIMIT spans/s); retry after ${rate.retryAfterS} s`,
        },
      },
      { status: 429, headers: { "retry-after": String(rate.retryAfterS) } },
    );
  }
  try {
    const r = await ingest(db, decoded, { apiKeyId: actor.id });
    deps.metrics.spansIngested.inc(r.accepted);
    const notes: string[] = [];
    if (r.unknownParents)
      notes.push(
        `${r.unknownParents} span(s) name a parent that was never received; they are shown under their trace's root until it arrives`,
      );
    if (r.duplicates) notes.push(`${r.duplicates} span(s) were already stored and were left unchanged`);
    return Response.json({
      partialSuccess: notes.length ? { rejectedSpans: 0, errorMessage: notes.join("; ") } : {},
      wflo: { accepted: r.accepted, runs: r.traces.map((t) => `/runs/${t}`), llmCalls: r.llmCalls },
    });
  } catch (e) {
    if (e instanceof AttributeTooLargeError) return refuse(413, e.message);
    log.error({ err: e }, "OTLP ingest failed");
    return refuse(500, "Internal server error");
  }
}
