/** OpenAI Chat Completions (JSON and SSE, text and tool calls) as the local provider server answers it. */
import type { ServerResponse } from "node:http";
import type { ProviderContext, RecordedRequest } from "./context";
import { json, pieces } from "./http";
import { isObj, num, type Obj, offers, type Prompt, prompt, requestedTool, textOf, type ToolCall } from "./prompt";

function chatTurns(body: Obj): Prompt {
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  return prompt(
    msgs.filter(isObj).map((m) => {
      const calls = Array.isArray(m.tool_calls)
        ? m.tool_calls
            .filter(isObj)
            .map((c) => (isObj(c.function) ? `${String(c.function.name)}${String(c.function.arguments)}` : ""))
        : [];
      return {
        role: String(m.role ?? "user"),
        text: [textOf(m.content), ...calls].filter(Boolean).join("\n"),
        cacheMark: false,
        toolResult: m.role === "tool",
      };
    }),
  );
}

export async function openaiChat(ctx: ProviderContext, body: Obj, res: ServerResponse, rec: RecordedRequest) {
  const model = String(body.model ?? "");
  const p = chatTurns(body);
  const call = requestedTool(p, offers(body.tools));
  if (call) rec.toolCall = call.name;
  if (call) return openaiChatTool(ctx, body, res, model, p, call);
  const maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  const a = ctx.answer(model, p, maxTokens, true);
  const usage = chatUsage(ctx, p, a);
  const id = ctx.nextId("chatcmpl");
  const created = 1_700_000_000 + ctx.seq();
  const finish = a.finished ? "stop" : "length";
  if (body.stream === true) {
    const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
    const chunk = (choices: unknown[], extra: Obj = {}) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: "fp_wflo",
      choices,
      ...extra,
    });
    const events: unknown[] = [
      chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]),
    ];
    for (const piece of pieces(a.text))
      events.push(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
    events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
    if (includeUsage) events.push(chunk([], { usage }));
    return ctx.streamOut(
      res,
      events.map((e) => ({ data: e })),
      "[DONE]",
    );
  }
  json(res, 200, {
    id,
    object: "chat.completion",
    created,
    model,
    system_fingerprint: "fp_wflo",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: a.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finish,
      },
    ],
    usage,
    service_tier: "default",
  });
}

/** Chat Completions usage of one answer (plain text or a tool call) to prompt `p`. */
function chatUsage(ctx: ProviderContext, p: Prompt, out: { visible: number; reasoning: number }) {
  const promptTokens = ctx.inputTokens(p);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: out.visible + out.reasoning,
    total_tokens: promptTokens + out.visible + out.reasoning,
    prompt_tokens_details: { cached_tokens: ctx.openaiCached(p, promptTokens), audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: out.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

async function openaiChatTool(
  ctx: ProviderContext,
  body: Obj,
  res: ServerResponse,
  model: string,
  p: Prompt,
  call: ToolCall,
) {
  const t = ctx.toolAnswer(model, call, true);
  const usage = chatUsage(ctx, p, t);
  const id = ctx.nextId("chatcmpl");
  const callId = ctx.nextId("call");
  const created = 1_700_000_000 + ctx.seq();
  if (body.stream === true) {
    const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
    const chunk = (choices: unknown[], extra: Obj = {}) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: "fp_wflo",
      choices,
      ...extra,
    });
    const delta = (d: Obj, finish: string | null = null) =>
      chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
    const events: unknown[] = [
      delta({ role: "assistant", content: null }),
      delta({ tool_calls: [{ index: 0, id: callId, type: "function", function: { name: call.name, arguments: "" } }] }),
      ...pieces(call.args).map((a) => delta({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
      delta({}, "tool_calls"),
    ];
    if (includeUsage) events.push(chunk([], { usage }));
    return ctx.streamOut(
      res,
      events.map((e) => ({ data: e })),
      "[DONE]",
    );
  }
  json(res, 200, {
    id,
    object: "chat.completion",
    created,
    model,
    system_fingerprint: "fp_wflo",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          annotations: [],
          tool_calls: [{ id: callId, type: "function", function: { name: call.name, arguments: call.args } }],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ],
    usage,
    service_tier: "default",
  });
}
