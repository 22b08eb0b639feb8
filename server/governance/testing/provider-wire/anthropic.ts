/** Anthropic Messages (JSON and SSE, text and tool use, prompt caching) as the local provider server answers it. */
import type { ServerResponse } from "node:http";
import { PER_MESSAGE, type ProviderContext, type RecordedRequest } from "./context";
import { json, pieces } from "./http";
import {
  hasCacheMark,
  isObj,
  num,
  type Obj,
  offers,
  type Prompt,
  prompt,
  requestedTool,
  textOf,
  type Turn,
} from "./prompt";

function anthropicTurns(body: Obj): Prompt {
  const turns: Turn[] = [];
  if (body.system !== undefined)
    turns.push({ role: "system", text: textOf(body.system), cacheMark: hasCacheMark(body.system) });
  for (const m of (Array.isArray(body.messages) ? body.messages : []).filter(isObj)) {
    const blocks = Array.isArray(m.content) ? m.content.filter(isObj) : [];
    const results = blocks.filter((b) => b.type === "tool_result");
    const uses = blocks
      .filter((b) => b.type === "tool_use")
      .map((b) => `${String(b.name)}${JSON.stringify(b.input ?? {})}`);
    // A user message carrying tool results is the tool's turn, not the user's.
    if (results.length)
      for (const r of results)
        turns.push({
          role: "tool",
          text: textOf(r.content),
          cacheMark: r.cache_control !== undefined,
          toolResult: true,
        });
    else
      turns.push({
        role: String(m.role ?? "user"),
        text: [textOf(m.content), ...uses].filter(Boolean).join("\n"),
        cacheMark: hasCacheMark(m.content),
      });
  }
  return prompt(turns);
}

export async function anthropicMessages(ctx: ProviderContext, body: Obj, res: ServerResponse, rec: RecordedRequest) {
  const model = String(body.model ?? "");
  const p = anthropicTurns(body);
  const call = requestedTool(p, offers(body.tools));
  if (call) rec.toolCall = call.name;
  const a = call
    ? { ...ctx.toolAnswer(model, call, false), text: "", finished: true }
    : ctx.answer(model, p, num(body.max_tokens), true);
  const total = ctx.inputTokens(p);
  // The cacheable prefix runs through the last turn marked cache_control.
  const lastMark = p.turns.map((t) => t.cacheMark).lastIndexOf(true);
  let cacheRead = 0;
  let cacheWrite = 0;
  if (lastMark >= 0) {
    const prefix = p.turns.slice(0, lastMark + 1);
    const prefixTokens = prefix.reduce((n, t) => n + ctx.tokens(t.text) + PER_MESSAGE, 0);
    const key = `anthropic:${ctx.hash(JSON.stringify(prefix))}`;
    if (ctx.seenPrompts.has(key)) cacheRead = prefixTokens;
    else cacheWrite = prefixTokens;
    ctx.seenPrompts.add(key);
  }
  const usage = {
    input_tokens: total - cacheRead - cacheWrite,
    output_tokens: a.visible,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
    service_tier: "standard",
  };
  const id = ctx.nextId("msg");
  const stop = call ? "tool_use" : a.finished ? "end_turn" : "max_tokens";
  const toolUse = call
    ? { type: "tool_use", id: ctx.nextId("toolu"), name: call.name, input: JSON.parse(call.args) as unknown }
    : undefined;
  const message = {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [toolUse ?? { type: "text", text: a.text }],
    stop_reason: stop,
    stop_sequence: null,
    usage,
  };
  if (body.stream === true) {
    const ev = (type: string, data: Obj) => ({ event: type, data: { type, ...data } });
    if (call && toolUse)
      return ctx.streamOut(res, [
        ev("message_start", {
          message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
        }),
        ev("content_block_start", { index: 0, content_block: { ...toolUse, input: {} } }),
        ...pieces(call.args).map((partial_json) =>
          ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json } }),
        ),
        ev("content_block_stop", { index: 0 }),
        ev("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: a.visible } }),
        ev("message_stop", {}),
      ]);
    return ctx.streamOut(res, [
      ev("message_start", {
        message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
      }),
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ev("ping", {}),
      ...pieces(a.text).map((text) => ev("content_block_delta", { index: 0, delta: { type: "text_delta", text } })),
      ev("content_block_stop", { index: 0 }),
      ev("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: a.visible } }),
      ev("message_stop", {}),
    ]);
  }
  json(res, 200, message);
}
