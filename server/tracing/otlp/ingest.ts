import { and, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { llmCalls, spans } from "@/db/schema";
import { getPriceBook, type ResolvedPrice } from "@/server/governance/pricing/price-book";
import { costOf, flatRatesJson, flatten } from "@/server/governance/pricing/rates";
import { capValue, redact } from "@/server/tracing/redact";
import { attributes, type ExportTraceRequest } from "./decode";
import { errorOf, int, kindOf, llmIo, text } from "./genai";
import { env } from "@/server/env";

/**
 * OTLP spans -> wflo: each trace becomes a run (run id = trace id), each span a row in `spans`,
 * and each GenAI span (gen_ai.* semantic conventions) an `llm_calls` row priced from wflo's price
 * book, so agents in any language show up with their spend on the runs list, the run page, the
 * dashboard and /api/metrics. One transaction per request: a request is stored whole or not at all.
 * A re-sent batch (exporters retry) inserts nothing twice: spans are keyed by (trace, span), and
 * calls are written only for spans this request inserted.
 */

/** One attribute value larger than this refuses the request (413): a trace store is not a blob store. */
export const MAX_ATTRIBUTE_BYTES = env.WFLO_OTLP_MAX_ATTRIBUTE_BYTES;
/** Stored inputs/outputs are capped (and marked truncated) at this size. */
const VALUE_CAP = 32 * 1024;

export class AttributeTooLargeError extends Error {
  override name = "AttributeTooLargeError";
}

const toDate = (ns: bigint) => new Date(Number(ns / 1_000_000n));

function checkSizes(a: Record<string, unknown>, where: string) {
  for (const [k, v] of Object.entries(a)) {
    const size = typeof v === "string" ? Buffer.byteLength(v) : Buffer.byteLength(JSON.stringify(v) ?? "");
    if (size > MAX_ATTRIBUTE_BYTES)
      throw new AttributeTooLargeError(
        `${where}: attribute "${k}" is ${size} bytes; the limit is ${MAX_ATTRIBUTE_BYTES} (WFLO_OTLP_MAX_ATTRIBUTE_BYTES)`,
      );
  }
}

export type IngestResult = {
  accepted: number;
  duplicates: number;
  traces: string[];
  llmCalls: number;
  unknownParents: number;
};

type Prepared = typeof spans.$inferInsert & { provider: string | null; durationMs: number };

export function prepare(req: ExportTraceRequest, apiKeyId: string | null): Prepared[] {
  const out: Prepared[] = [];
  (req.resourceSpans ?? []).forEach((rs, ri) => {
    const resource = attributes(rs.resource?.attributes);
    checkSizes(resource, `resourceSpans.${ri}.resource`);
    (rs.scopeSpans ?? []).forEach((ss, si) => {
      (ss.spans ?? []).forEach((s, pi) => {
        const a = attributes(s.attributes);
        checkSizes(a, `resourceSpans.${ri}.scopeSpans.${si}.spans.${pi}`);
        const kind = kindOf(a);
        const io = kind === "llm" ? llmIo(a, s.events) : { input: null, output: null };
        // The prompt is shown as input/output, not repeated in the attribute table.
        const shown: Record<string, unknown> = {
          "service.name": resource["service.name"] ?? null,
          "otel.scope.name": ss.scope?.name ?? null,
          ...a,
        };
        for (const k of [
          "gen_ai.input.messages",
          "gen_ai.output.messages",
          "gen_ai.prompt",
          "gen_ai.completion",
          "gen_ai.system_instructions",
        ])
          delete shown[k];
        const endNs = s.endTimeUnixNano ?? null;
        const model = text(a["gen_ai.response.model"]) ?? text(a["gen_ai.request.model"]);
        out.push({
          runId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind,
          status: s.status?.code === 2 ? "error" : s.status?.code === 1 ? "ok" : "unset",
          startedAt: toDate(s.startTimeUnixNano),
          endedAt: endNs === null || endNs === 0n ? null : toDate(endNs),
          attributes: redact(shown),
          input: io.input === null ? null : capValue(io.input, VALUE_CAP),
          output: io.output === null ? null : capValue(io.output, VALUE_CAP),
          error: redact(errorOf(s)),
          model: kind === "llm" ? model : null,
          inputTokens:
            kind === "llm" ? (int(a["gen_ai.usage.input_tokens"]) ?? int(a["gen_ai.usage.prompt_tokens"]) ?? 0) : null,
          outputTokens:
            kind === "llm"
              ? (int(a["gen_ai.usage.output_tokens"]) ?? int(a["gen_ai.usage.completion_tokens"]) ?? 0)
              : null,
          source: "otlp",
          apiKeyId,
          provider: text(a["gen_ai.provider.name"]) ?? text(a["gen_ai.system"]),
          durationMs:
            endNs === null || endNs < s.startTimeUnixNano ? 0 : Number((endNs - s.startTimeUnixNano) / 1_000_000n),
        });
      });
    });
  });
  return out;
}

const CHUNK = 1000;

export async function ingest(
  db: Database,
  req: ExportTraceRequest,
  opts: { apiKeyId: string | null },
): Promise<IngestResult> {
  const prepared = prepare(req, opts.apiKeyId);
  if (prepared.length === 0) return { accepted: 0, duplicates: 0, traces: [], llmCalls: 0, unknownParents: 0 };
  const book = await getPriceBook(db);
  const prices = new Map<Prepared, ResolvedPrice>();

  // Price GenAI spans before the transaction: the price book is cached and read-only.
  for (const p of prepared) {
    if (p.kind !== "llm" || !p.model) continue;
    const price = book.resolve(p.model, p.provider);
    if (!price) continue;
    const usage = {
      inputTokens: p.inputTokens ?? 0,
      outputTokens: p.outputTokens ?? 0,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    p.costNano = costOf(usage, price.rates);
    prices.set(p, price);
  }

  return db.transaction(async (tx) => {
    // One run per trace: created on first sight, widened (start/end/status) by later batches.
    const byTrace = new Map<string, { start: Date; end: Date | null; failed: boolean; service: string }>();
    for (const p of prepared) {
      const t = byTrace.get(p.runId);
      const end = p.endedAt ?? null;
      const service = typeof p.attributes["service.name"] === "string" ? p.attributes["service.name"] : "otlp";
      if (!t) byTrace.set(p.runId, { start: p.startedAt, end, failed: p.status === "error", service });
      else {
        if (p.startedAt < t.start) t.start = p.startedAt;
        if (end && (!t.end || end > t.end)) t.end = end;
        t.failed ||= p.status === "error";
      }
    }
    for (const [traceId, t] of byTrace) {
      await tx.execute(sql`
        insert into runs (id, workflow_id, status, event_name, input, started_at, ended_at, updated_at)
        values (${traceId}, ${t.service}, ${t.failed ? "failed" : "completed"}, 'otlp/trace', null, ${t.start.toISOString()}::timestamptz, ${(t.end ?? t.start).toISOString()}::timestamptz, now())
        on conflict (id) do update set
          started_at = least(runs.started_at, excluded.started_at),
          ended_at = greatest(runs.ended_at, excluded.ended_at),
          status = case when excluded.status = 'failed' then 'failed'::run_status else runs.status end,
          updated_at = now()
        where runs.event_name = 'otlp/trace'`);
    }

    const inserted = new Set<string>();
    for (let i = 0; i < prepared.length; i += CHUNK) {
      const chunk = prepared.slice(i, i + CHUNK).map(({ provider: _p, durationMs: _d, ...row }) => row);
      const rows = await tx
        .insert(spans)
        .values(chunk)
        .onConflictDoNothing()
        .returning({ runId: spans.runId, spanId: spans.spanId });
      for (const r of rows) inserted.add(`${r.runId}/${r.spanId}`);
    }

    const fresh = prepared.filter((p) => p.kind === "llm" && inserted.has(`${p.runId}/${p.spanId}`));
    let calls = 0;
    if (fresh.length) {
      const values = fresh.map((p) => {
        const price = prices.get(p) ?? null;
        return {
          runId: p.runId,
          stepId: p.spanId,
          workflow: byTrace.get(p.runId)?.service ?? null,
          apiKeyId: opts.apiKeyId,
          provider: price?.provider ?? p.provider ?? "unknown",
          model: p.model ?? "unknown",
          inputTokens: p.inputTokens ?? 0,
          outputTokens: p.outputTokens ?? 0,
          costNano: p.costNano ?? 0n,
          priceVersionId: price?.priceVersionId ?? null,
          priceSource: price?.source ?? "unpriced",
          rates: price ? flatRatesJson(flatten(price.rates, p.inputTokens ?? 0)) : null,
          latencyMs: p.durationMs,
          status: p.status === "error" ? ("error" as const) : ("ok" as const),
          error: p.error?.message ?? null,
          createdAt: p.endedAt ?? p.startedAt,
        };
      });
      for (let i = 0; i < values.length; i += CHUNK) {
        const rows = await tx
          .insert(llmCalls)
          .values(values.slice(i, i + CHUNK))
          .returning({ id: llmCalls.id, runId: llmCalls.runId, stepId: llmCalls.stepId });
        calls += rows.length;
        const ids = rows.map((r) => r.id);
        // Link span -> call, and keep the hourly spend rollup (what dashboards read) in step, as settle does.
        await tx.execute(
          sql`update spans s set llm_call_id = c.id from llm_calls c where c.id = any(${sql.raw(`array[${ids.join(",")}]::bigint[]`)}) and s.run_id = c.run_id and s.span_id = c.step_id`,
        );
        await tx.execute(sql`
          insert into llm_cost_rollup as u (hour, provider, model, workflow, calls, cost_nano, input_tokens, output_tokens, simulated_calls)
          select date_trunc('hour', c.created_at, 'UTC'), c.provider, c.model, coalesce(c.workflow, ''), count(*), sum(c.cost_nano), sum(c.input_tokens), sum(c.output_tokens), 0
            from llm_calls c where c.id = any(${sql.raw(`array[${ids.join(",")}]::bigint[]`)})
           group by 1, 2, 3, 4 order by 1, 2, 3, 4
          on conflict (hour, provider, model, workflow) do update set
            calls = u.calls + excluded.calls, cost_nano = u.cost_nano + excluded.cost_nano,
            input_tokens = u.input_tokens + excluded.input_tokens, output_tokens = u.output_tokens + excluded.output_tokens`);
      }
    }

    // A parent may have come in an earlier batch; only one found nowhere is reported.
    const ids = new Set(prepared.map((p) => `${p.runId}/${p.spanId}`));
    const orphans = prepared.filter((p) => p.parentSpanId && !ids.has(`${p.runId}/${p.parentSpanId}`));
    let unknownParents = orphans.length;
    if (orphans.length) {
      const found = await tx
        .select({ runId: spans.runId, spanId: spans.spanId })
        .from(spans)
        .where(
          and(
            inArray(spans.runId, [...new Set(orphans.map((o) => o.runId))]),
            inArray(spans.spanId, [...new Set(orphans.map((o) => o.parentSpanId ?? ""))]),
          ),
        );
      const known = new Set(found.map((f) => `${f.runId}/${f.spanId}`));
      unknownParents = orphans.filter((o) => !known.has(`${o.runId}/${o.parentSpanId}`)).length;
    }
    return {
      accepted: inserted.size,
      duplicates: prepared.length - inserted.size,
      traces: [...byTrace.keys()],
      llmCalls: calls,
      unknownParents,
    };
  });
}
