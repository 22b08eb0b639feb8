/** What an OTLP span says in OpenTelemetry's GenAI conventions: its kind, prompt and completion, error, and numbers. */

import type { SpanError, SpanKind } from "@/db/schema";
import { attributes, type OtlpSpan } from "./decode";

const LLM_OPERATIONS = new Set(["chat", "text_completion", "generate_content", "completion", "embeddings"]);

export function kindOf(a: Record<string, unknown>): SpanKind {
  const op = typeof a["gen_ai.operation.name"] === "string" ? a["gen_ai.operation.name"] : null;
  if (op === "execute_tool" || a["gen_ai.tool.name"] !== undefined) return "tool";
  if ((op && LLM_OPERATIONS.has(op)) || a["gen_ai.request.model"] !== undefined) return "llm";
  if (op === "invoke_agent" || op === "create_agent") return "step";
  return "span";
}

export const int = (v: unknown) =>
  typeof v === "number" && Number.isFinite(v)
    ? Math.max(0, Math.round(v))
    : typeof v === "string" && /^\d+$/.test(v)
      ? Number(v)
      : null;
export const text = (v: unknown) => (typeof v === "string" && v ? v : null);
function jsonOrText(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** Prompt / completion in either the current (gen_ai.input.messages) or the older (gen_ai.prompt, events) conventions. */
export function llmIo(a: Record<string, unknown>, events: OtlpSpan["events"]): { input: unknown; output: unknown } {
  const input: Record<string, unknown> = {};
  if (a["gen_ai.system_instructions"] !== undefined) input.system = jsonOrText(a["gen_ai.system_instructions"]);
  if (a["gen_ai.input.messages"] !== undefined) input.messages = jsonOrText(a["gen_ai.input.messages"]);
  else if (a["gen_ai.prompt"] !== undefined) input.prompt = jsonOrText(a["gen_ai.prompt"]);
  const evMessages = (events ?? []).filter((e) => /^gen_ai\.(system|user|assistant|tool)\.message$/.test(e.name));
  if (!input.messages && evMessages.length)
    input.messages = evMessages.map((e) => ({ role: e.name.split(".")[1], ...attributes(e.attributes) }));
  let output: unknown = null;
  if (a["gen_ai.output.messages"] !== undefined) output = jsonOrText(a["gen_ai.output.messages"]);
  else if (a["gen_ai.completion"] !== undefined) output = jsonOrText(a["gen_ai.completion"]);
  else {
    const choice = (events ?? []).find((e) => e.name === "gen_ai.choice");
    if (choice) output = attributes(choice.attributes);
  }
  return { input: Object.keys(input).length ? input : null, output };
}

export function errorOf(s: OtlpSpan): SpanError | null {
  const ex = (s.events ?? []).find((e) => e.name === "exception");
  if (ex) {
    const a = attributes(ex.attributes);
    return {
      name: text(a["exception.type"]) ?? "Error",
      message: text(a["exception.message"]) ?? s.status?.message ?? "",
      ...(text(a["exception.stacktrace"]) ? { stack: String(a["exception.stacktrace"]) } : {}),
    };
  }
  return s.status?.code === 2 ? { name: "Error", message: s.status.message ?? "span status ERROR" } : null;
}
