/**
 * The 5,000-span trace the UI must render fast (e2e/trace.spec.ts checks it, bench/tracing.ts
 * times it): one root, 50 agent spans, 99 children each (every tenth a priced GenAI chat call),
 * as an OTLP/HTTP JSON request body. Plain data, no imports: Playwright specs load it too.
 */
export const BIG_TRACE_SPANS = 5_000;

export type OtlpTraceRequest = {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
};
type OtlpAttribute = { key: string; value: { stringValue: string } | { intValue: string } };

/** `traceId`: 32 hex digits (it becomes the run page's id). `service`: the resource's service.name. */
export function bigTrace(traceId: string, service: string): OtlpTraceRequest {
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const id = (n: number) => (n + 1).toString(16).padStart(16, "0");
  const spans: Record<string, unknown>[] = [
    {
      traceId,
      spanId: id(0),
      name: "agent run",
      startTimeUnixNano: String(t0),
      endTimeUnixNano: String(t0 + 50_000_000_000n),
    },
  ];
  for (let a = 0; a < 50; a++) {
    const agentId = id(1 + a * 100);
    const start = t0 + BigInt(a) * 1_000_000_000n;
    spans.push({
      traceId,
      spanId: agentId,
      parentSpanId: id(0),
      name: `agent step ${a}`,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 900_000_000n),
    });
    for (let c = 1; c < 100 && spans.length < BIG_TRACE_SPANS; c++) {
      const st = start + BigInt(c) * 9_000_000n;
      const llm = c % 10 === 0;
      spans.push({
        traceId,
        spanId: id(1 + a * 100 + c),
        parentSpanId: agentId,
        name: llm ? "chat gpt-4o-mini" : `tool ${a}.${c}`,
        startTimeUnixNano: String(st),
        endTimeUnixNano: String(st + 8_000_000n),
        attributes: llm
          ? [
              { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
              { key: "gen_ai.request.model", value: { stringValue: "gpt-4o-mini" } },
              { key: "gen_ai.usage.input_tokens", value: { intValue: "300" } },
              { key: "gen_ai.usage.output_tokens", value: { intValue: "50" } },
            ]
          : [{ key: "step", value: { intValue: String(c) } }],
      });
    }
  }
  return {
    resourceSpans: [
      { resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] }, scopeSpans: [{ spans }] },
    ],
  };
}
