import { usd } from "@/components/governance/money";
import { formatDuration } from "@/components/runs/format";
import { JsonView } from "@/components/runs/json-view";
import { Badge } from "@/components/ui/badge";
import type { TraceSpan } from "@/server/tracing/types";
import { STATUS_TONE } from "./span-style";

/** The trace explorer's detail panel: the selected span's facts, prompt, response, error, input, output, attributes. */
function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="space-y-1">
      <h3 className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h3>
      {children}
    </section>
  );
}

type Message = { role: string; content: string };

/** The prompt as a list of messages, whichever shape the call used (system + prompt, or chat messages). */
function promptMessages(request: unknown): Message[] | null {
  if (!request || typeof request !== "object") return null;
  const r = request as Record<string, unknown>;
  const out: Message[] = [];
  const text = (c: unknown): string =>
    typeof c === "string"
      ? c
      : Array.isArray(c)
        ? c
            .map((p) =>
              typeof p === "string"
                ? p
                : p && typeof p === "object" && "text" in p
                  ? String((p as { text: unknown }).text)
                  : "[media]",
            )
            .join("\n")
        : JSON.stringify(c);
  if (typeof r.system === "string") out.push({ role: "system", content: r.system });
  if (Array.isArray(r.messages))
    for (const m of r.messages)
      if (m && typeof m === "object")
        out.push({
          role: String((m as Record<string, unknown>).role ?? "message"),
          content: text((m as Record<string, unknown>).content),
        });
  if (typeof r.prompt === "string") out.push({ role: "user", content: r.prompt });
  return out.length ? out : null;
}

export function SpanDetail({ span, t0, now }: { span: TraceSpan | null; t0: number; now: number }) {
  if (!span)
    return (
      <div className="px-5 py-8 text-sm text-slate-500" data-testid="span-detail">
        Select a span to see its inputs, outputs and attributes.
      </div>
    );
  const end = span.endMs ?? now;
  const messages = span.llm ? promptMessages(span.llm.request) : null;
  return (
    <div className="max-h-[36rem] min-w-0 space-y-4 overflow-auto px-5 py-4" data-testid="span-detail">
      <div>
        <div className="flex flex-wrap items-center gap-2">
          <h2 className="break-all font-medium">{span.name}</h2>
          <Badge tone="slate">{span.kind}</Badge>
          <Badge tone={STATUS_TONE[span.status]}>{span.status}</Badge>
          {span.llm?.simulated ? <Badge tone="amber">simulated</Badge> : null}
        </div>
        <p className="mt-1 text-xs tabular-nums text-slate-500">
          {formatDuration(end - span.startMs)}
          {span.endMs === null ? " so far" : ""} · starts at +{formatDuration(span.startMs - t0)} ·{" "}
          <span className="font-mono">{span.id}</span>
        </p>
      </div>
      {span.llm ? (
        <Section title="LLM call">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm" data-testid="llm-facts">
            <dt className="text-slate-500">Model</dt>
            <dd className="font-mono text-xs">{span.llm.model}</dd>
            <dt className="text-slate-500">Input tokens</dt>
            <dd className="tabular-nums">{span.llm.inputTokens.toLocaleString("en-US")}</dd>
            <dt className="text-slate-500">Output tokens</dt>
            <dd className="tabular-nums">{span.llm.outputTokens.toLocaleString("en-US")}</dd>
            {span.llm.cachedInputTokens ? (
              <>
                <dt className="text-slate-500">Cached input</dt>
                <dd className="tabular-nums">{span.llm.cachedInputTokens.toLocaleString("en-US")}</dd>
              </>
            ) : null}
            <dt className="text-slate-500">Cost</dt>
            <dd className="tabular-nums" data-testid="llm-cost">
              {span.llm.costNano === null ? "unpriced" : usd(BigInt(span.llm.costNano))}
            </dd>
          </dl>
        </Section>
      ) : null}
      {span.llm ? (
        <Section title="Prompt">
          {messages ? (
            <ol className="space-y-2" data-testid="llm-prompt">
              {messages.map((m, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a prompt's messages in their recorded order; they have no id.
                <li key={i} className="rounded-md border border-slate-200 px-3 py-2 text-sm dark:border-slate-800">
                  <div className="text-xs font-medium uppercase text-slate-500">{m.role}</div>
                  <p className="mt-1 whitespace-pre-wrap break-words">{m.content}</p>
                </li>
              ))}
            </ol>
          ) : (
            <p className="text-sm text-slate-500">Not captured for this call.</p>
          )}
        </Section>
      ) : null}
      {span.llm && span.llm.response !== null ? (
        <Section title="Response">
          <JsonView value={span.llm.response} />
        </Section>
      ) : null}
      {span.error ? (
        <Section title="Error">
          <div className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900 dark:bg-rose-950/40 dark:text-rose-200">
            <div className="font-medium">
              {span.error.name}: {span.error.message}
            </div>
            {span.error.stack ? (
              <pre className="mt-2 max-h-60 overflow-auto whitespace-pre-wrap font-mono text-xs">
                {span.error.stack}
              </pre>
            ) : null}
          </div>
        </Section>
      ) : null}
      {span.input !== undefined && span.input !== null && !span.llm ? (
        <Section title="Input">
          <JsonView value={span.input} />
        </Section>
      ) : null}
      {span.output !== undefined && span.output !== null && !span.llm ? (
        <Section title="Output">
          <JsonView value={span.output} />
        </Section>
      ) : null}
      <Section title="Attributes">
        <table className="w-full text-xs">
          <tbody>
            {Object.entries(span.attributes).map(([k, v]) => (
              <tr key={k} className="border-t border-slate-100 align-top dark:border-slate-800">
                <td className="py-1 pr-2 font-mono text-slate-500">{k}</td>
                <td className="break-all py-1 font-mono">{v === null ? "—" : String(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    </div>
  );
}
