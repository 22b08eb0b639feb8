/** OpenAI Responses (JSON and SSE, text and function calls) as the local provider server answers it. */
import type { ServerResponse } from "node:http";
import type { ProviderContext, RecordedRequest } from "./context";
import { json, pieces } from "./http";
import { isObj, num, type Obj, offers, type Prompt, prompt, requestedTool, textOf, type Turn } from "./prompt";

function responsesTurns(body: Obj): Prompt {
  const turns: Turn[] = [];
  if (typeof body.instructions === "string") turns.push({ role: "system", text: body.instructions, cacheMark: false });
  if (typeof body.input === "string") turns.push({ role: "user", text: body.input, cacheMark: false });
  else if (Array.isArray(body.input))
    for (const m of body.input.filter(isObj)) {
      if (m.type === "function_call")
        turns.push({ role: "assistant", text: `${String(m.name)}${String(m.arguments)}`, cacheMark: false });
      else if (m.type === "function_call_output")
        turns.push({
          role: "tool",
          text: typeof m.output === "string" ? m.output : textOf(m.output),
          cacheMark: false,
          toolResult: true,
        });
      else turns.push({ role: String(m.role ?? "user"), text: textOf(m.content), cacheMark: false });
    }
  return prompt(turns);
}

export async function openaiResponses(ctx: ProviderContext, body: Obj, res: ServerResponse, rec: RecordedRequest) {
  const model = String(body.model ?? "");
  const p = responsesTurns(body);
  const call = requestedTool(p, offers(body.tools));
  if (call) rec.toolCall = call.name;
  const a = ctx.answer(model, p, num(body.max_output_tokens), true);
  const input = ctx.inputTokens(p);
  const id = ctx.nextId("resp");
  const msgId = ctx.nextId(call ? "fc" : "msg");
  const created = 1_700_000_000 + ctx.seq();
  const t = call ? ctx.toolAnswer(model, call, true) : a;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: ctx.openaiCached(p, input) },
    output_tokens: t.visible + t.reasoning,
    output_tokens_details: { reasoning_tokens: t.reasoning },
    total_tokens: input + t.visible + t.reasoning,
  };
  const part = { type: "output_text", text: a.text, annotations: [], logprobs: [] };
  const item = { id: msgId, type: "message", status: "completed", role: "assistant", content: [part] };
  const base = {
    id,
    object: "response",
    created_at: created,
    model,
    error: null,
    incomplete_details: a.finished ? null : { reason: "max_output_tokens" },
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: num(body.max_output_tokens) ?? null,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    metadata: {},
  };
  if (call) {
    const fc = {
      id: msgId,
      type: "function_call",
      status: "completed",
      call_id: ctx.nextId("call"),
      name: call.name,
      arguments: call.args,
    };
    const finished = { ...base, incomplete_details: null, status: "completed", output: [fc], usage };
    if (body.stream !== true) return json(res, 200, finished);
    let n = 0;
    const ev = (type: string, data: Obj) => ({ event: type, data: { type, sequence_number: n++, ...data } });
    return ctx.streamOut(res, [
      ev("response.created", { response: { ...base, status: "in_progress", output: [], usage: null } }),
      ev("response.in_progress", { response: { ...base, status: "in_progress", output: [], usage: null } }),
      ev("response.output_item.added", { output_index: 0, item: { ...fc, status: "in_progress", arguments: "" } }),
      ...pieces(call.args).map((delta) =>
        ev("response.function_call_arguments.delta", { item_id: msgId, output_index: 0, delta }),
      ),
      ev("response.function_call_arguments.done", { item_id: msgId, output_index: 0, arguments: call.args }),
      ev("response.output_item.done", { output_index: 0, item: fc }),
      ev("response.completed", { response: finished }),
    ]);
  }
  const done = { ...base, status: a.finished ? "completed" : "incomplete", output: [item], usage };
  if (body.stream === true) {
    let n = 0;
    const ev = (type: string, data: Obj) => ({ event: type, data: { type, sequence_number: n++, ...data } });
    const events = [
      ev("response.created", { response: { ...base, status: "in_progress", output: [], usage: null } }),
      ev("response.in_progress", { response: { ...base, status: "in_progress", output: [], usage: null } }),
      ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress", content: [] } }),
      ev("response.content_part.added", {
        item_id: msgId,
        output_index: 0,
        content_index: 0,
        part: { ...part, text: "" },
      }),
      ...pieces(a.text).map((delta) =>
        ev("response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] }),
      ),
      ev("response.output_text.done", {
        item_id: msgId,
        output_index: 0,
        content_index: 0,
        text: a.text,
        logprobs: [],
      }),
      ev("response.content_part.done", { item_id: msgId, output_index: 0, content_index: 0, part }),
      ev("response.output_item.done", { output_index: 0, item }),
      ev(a.finished ? "response.completed" : "response.incomplete", { response: done }),
    ];
    return ctx.streamOut(res, events);
  }
  json(res, 200, done);
}
