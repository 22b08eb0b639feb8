/**
 * A local LLM provider for tests, e2e runs and the demo: a real HTTP server on an ephemeral
 * port that answers in the wire formats of OpenAI (Chat Completions and Responses, JSON and
 * SSE), Anthropic (Messages, JSON and SSE) and Google GenAI (generateContent and
 * streamGenerateContent?alt=sse), so the real SDKs can be pointed at it by base URL.
 *
 * Deterministic: the reply and every token count follow from the request alone (plus which
 * prompts it has already seen, for prompt caching):
 *   - reply: opts.reply(lastUserText, model), default `Reply from <model>: <first 80 chars>`;
 *   - input tokens: o200k tokens of all prompt text + 4 per message (OpenAI framing);
 *   - output tokens: tokens of the reply, capped at max_tokens (then finish reason "length");
 *   - reasoning: OpenAI o-series / gpt-5 add 64 reasoning tokens (inside output tokens);
 *     gemini-2.5* report 64 thoughtsTokenCount (outside candidates, as Google does);
 *   - caching: OpenAI prompts of >= 1024 tokens seen before report cached_tokens (multiple of
 *     128); Anthropic blocks marked cache_control report cache_creation the first time and
 *     cache_read after;
 *   - a model whose name contains "fail" gets a 500 error in the provider's error format;
 *   - tool calls (OpenAI chat + responses, Anthropic messages; JSON and SSE): when the request
 *     offers tools and the last user message contains `call tool <name> with <json-object>`
 *     with no tool result after it yet, the answer is a call to tool <name> with that JSON as
 *     its arguments (output tokens: tokens of name + arguments); once a tool result follows
 *     the last user message, the answer is text `Tool result: <result>` (each result verbatim,
 *     one per line), so an agent's tool loop ends after one round.
 *
 * Run it alone for manual use: `npx tsx server/governance/testing/provider-server.ts [port]`.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { countTokens } from "@/server/governance/estimate/tokens";

export type ProviderServerOptions = {
  port?: number;
  host?: string;
  /** Added before every answer, to simulate provider latency. */
  latencyMs?: number;
  /** Pause between the events of a streamed answer (default 0: all at once), to cut streams short in tests. */
  streamGapMs?: number;
  reply?: (lastUserText: string, model: string) => string;
};

export type RecordedRequest = {
  api: "openai.chat" | "openai.responses" | "anthropic.messages" | "google.generate";
  model: string;
  stream: boolean;
  /** Set when the answer was a tool call: the tool's name. */
  toolCall?: string;
};

export type ProviderServer = {
  url: string;
  port: number;
  /** Base URLs as each SDK wants them. */
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
  googleBaseUrl: string;
  requests: RecordedRequest[];
  close: () => Promise<void>;
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const REASONING_TOKENS = 64;
const PER_MESSAGE = 4;

/** Text of a content value in any of the three providers' shapes. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map(textOf).join("\n");
  if (isObj(content)) {
    if (typeof content.text === "string") return content.text;
    if (content.parts !== undefined) return textOf(content.parts);
    if (content.content !== undefined) return textOf(content.content);
  }
  return "";
}

/** `toolResult`: a tool's output sent back (OpenAI role "tool", responses function_call_output, Anthropic tool_result blocks). */
type Turn = { role: string; text: string; cacheMark: boolean; toolResult?: boolean };

function hasCacheMark(content: unknown): boolean {
  return Array.isArray(content) && content.some((b) => isObj(b) && b.cache_control !== undefined);
}

/** `toolResults`: outputs of tools sent after the last user message (the tool-call convention). */
type Prompt = { turns: Turn[]; lastUser: string; toolResults: string[] };

function prompt(turns: Turn[]): Prompt {
  let at = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === "user" && !turns[i]!.toolResult) {
      at = i;
      break;
    }
  }
  const lastUser = at >= 0 ? turns[at]!.text : "";
  const toolResults = turns.slice(at + 1).filter((t) => t.toolResult).map((t) => t.text);
  return { turns, lastUser, toolResults };
}

/** A tool call the convention asks for: `call tool <name> with <json-object>` in the last user message. */
type ToolCall = { name: string; args: string };

function requestedTool(p: Prompt, offersTools: boolean): ToolCall | undefined {
  if (!offersTools || p.toolResults.length > 0) return undefined;
  const m = /call tool ([A-Za-z0-9_.-]+) with (\{[\s\S]*\})/.exec(p.lastUser);
  if (!m) return undefined;
  try {
    const parsed: unknown = JSON.parse(m[2]!);
    if (!isObj(parsed)) return undefined;
    return { name: m[1]!, args: JSON.stringify(parsed) };
  } catch {
    return undefined;
  }
}

const offers = (tools: unknown) => Array.isArray(tools) && tools.length > 0;

export async function startProviderServer(opts: ProviderServerOptions = {}): Promise<ProviderServer> {
  const requests: RecordedRequest[] = [];
  const seenPrompts = new Set<string>();
  const replyFor = opts.reply ?? ((text: string, model: string) => `Reply from ${model}: ${text.slice(0, 80)}`);
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}_${(++seq).toString().padStart(8, "0")}`;

  const tokens = (s: string) => countTokens(s, "gpt-4o");
  const streamOut = (res: ServerResponse, events: { event?: string; data: unknown }[], done?: string) => sse(res, events, done, opts.streamGapMs ?? 0);
  const inputTokens = (p: Prompt) => p.turns.reduce((n, t) => n + tokens(t.text) + PER_MESSAGE, 0);
  const hash = (s: string) => createHash("sha256").update(s).digest("hex");

  /** Output accounting shared by all formats. */
  function answer(model: string, p: Prompt, maxTokens: number | undefined, reasoningInside: boolean) {
    const text = p.toolResults.length ? `Tool result: ${p.toolResults.join("\n")}` : replyFor(p.lastUser, model);
    const thinks = reasoningInside ? /^(o\d|gpt-5)/.test(model) : /^gemini-2\.5/.test(model);
    const reasoning = thinks ? REASONING_TOKENS : 0;
    let visible = tokens(text);
    let finished = true;
    const cap = maxTokens ?? Infinity;
    if ((reasoningInside ? reasoning : 0) + visible > cap) {
      visible = Math.max(0, cap - (reasoningInside ? reasoning : 0));
      finished = false;
    }
    return { text, visible, reasoning, finished };
  }

  /** Output accounting of a tool call: the name and arguments are what the model "wrote". */
  function toolAnswer(model: string, call: ToolCall, reasoningInside: boolean) {
    const reasoning = reasoningInside && /^(o\d|gpt-5)/.test(model) ? REASONING_TOKENS : 0;
    return { visible: tokens(call.name + call.args), reasoning };
  }

  function openaiCached(p: Prompt, total: number): number {
    if (total < 1024) return 0;
    const key = hash(JSON.stringify(p.turns));
    const seen = seenPrompts.has(key);
    seenPrompts.add(key);
    return seen ? Math.floor(total / 128) * 128 : 0;
  }

  // ------------------------------------------------------------- OpenAI chat

  function chatTurns(body: Obj): Prompt {
    const msgs = Array.isArray(body.messages) ? body.messages : [];
    return prompt(
      msgs.filter(isObj).map((m) => {
        const calls = Array.isArray(m.tool_calls) ? m.tool_calls.filter(isObj).map((c) => (isObj(c.function) ? `${String(c.function.name)}${String(c.function.arguments)}` : "")) : [];
        return { role: String(m.role ?? "user"), text: [textOf(m.content), ...calls].filter(Boolean).join("\n"), cacheMark: false, toolResult: m.role === "tool" };
      }),
    );
  }

  async function openaiChat(body: Obj, res: ServerResponse, rec: RecordedRequest) {
    const model = String(body.model ?? "");
    const p = chatTurns(body);
    const call = requestedTool(p, offers(body.tools));
    if (call) rec.toolCall = call.name;
    if (call) return openaiChatTool(body, res, model, p, call);
    const maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
    const a = answer(model, p, maxTokens, true);
    const usage = chatUsage(p, a);
    const id = nextId("chatcmpl");
    const created = 1_700_000_000 + seq;
    const finish = a.finished ? "stop" : "length";
    if (body.stream === true) {
      const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
      const chunk = (choices: unknown[], extra: Obj = {}) => ({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_wflo", choices, ...extra });
      const events: unknown[] = [chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }])];
      for (const piece of pieces(a.text)) events.push(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
      events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
      if (includeUsage) events.push(chunk([], { usage }));
      return streamOut(res, events.map((e) => ({ data: e })), "[DONE]");
    }
    json(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: "fp_wflo",
      choices: [{ index: 0, message: { role: "assistant", content: a.text, refusal: null, annotations: [] }, logprobs: null, finish_reason: finish }],
      usage,
      service_tier: "default",
    });
  }

  /** Chat Completions usage of one answer (plain text or a tool call) to prompt `p`. */
  function chatUsage(p: Prompt, out: { visible: number; reasoning: number }) {
    const promptTokens = inputTokens(p);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: out.visible + out.reasoning,
      total_tokens: promptTokens + out.visible + out.reasoning,
      prompt_tokens_details: { cached_tokens: openaiCached(p, promptTokens), audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: out.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    };
  }

  async function openaiChatTool(body: Obj, res: ServerResponse, model: string, p: Prompt, call: ToolCall) {
    const t = toolAnswer(model, call, true);
    const usage = chatUsage(p, t);
    const id = nextId("chatcmpl");
    const callId = nextId("call");
    const created = 1_700_000_000 + seq;
    if (body.stream === true) {
      const includeUsage = isObj(body.stream_options) && body.stream_options.include_usage === true;
      const chunk = (choices: unknown[], extra: Obj = {}) => ({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_wflo", choices, ...extra });
      const delta = (d: Obj, finish: string | null = null) => chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);
      const events: unknown[] = [
        delta({ role: "assistant", content: null }),
        delta({ tool_calls: [{ index: 0, id: callId, type: "function", function: { name: call.name, arguments: "" } }] }),
        ...pieces(call.args).map((a) => delta({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
        delta({}, "tool_calls"),
      ];
      if (includeUsage) events.push(chunk([], { usage }));
      return streamOut(res, events.map((e) => ({ data: e })), "[DONE]");
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
          message: { role: "assistant", content: null, refusal: null, annotations: [], tool_calls: [{ id: callId, type: "function", function: { name: call.name, arguments: call.args } }] },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage,
      service_tier: "default",
    });
  }

  // -------------------------------------------------------- OpenAI responses

  function responsesTurns(body: Obj): Prompt {
    const turns: Turn[] = [];
    if (typeof body.instructions === "string") turns.push({ role: "system", text: body.instructions, cacheMark: false });
    if (typeof body.input === "string") turns.push({ role: "user", text: body.input, cacheMark: false });
    else if (Array.isArray(body.input))
      for (const m of body.input.filter(isObj)) {
        if (m.type === "function_call") turns.push({ role: "assistant", text: `${String(m.name)}${String(m.arguments)}`, cacheMark: false });
        else if (m.type === "function_call_output") turns.push({ role: "tool", text: typeof m.output === "string" ? m.output : textOf(m.output), cacheMark: false, toolResult: true });
        else turns.push({ role: String(m.role ?? "user"), text: textOf(m.content), cacheMark: false });
      }
    return prompt(turns);
  }

  async function openaiResponses(body: Obj, res: ServerResponse, rec: RecordedRequest) {
    const model = String(body.model ?? "");
    const p = responsesTurns(body);
    const call = requestedTool(p, offers(body.tools));
    if (call) rec.toolCall = call.name;
    const a = answer(model, p, num(body.max_output_tokens), true);
    const input = inputTokens(p);
    const id = nextId("resp");
    const msgId = nextId(call ? "fc" : "msg");
    const created = 1_700_000_000 + seq;
    const t = call ? toolAnswer(model, call, true) : a;
    const usage = {
      input_tokens: input,
      input_tokens_details: { cached_tokens: openaiCached(p, input) },
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
      const fc = { id: msgId, type: "function_call", status: "completed", call_id: nextId("call"), name: call.name, arguments: call.args };
      const finished = { ...base, incomplete_details: null, status: "completed", output: [fc], usage };
      if (body.stream !== true) return json(res, 200, finished);
      let n = 0;
      const ev = (type: string, data: Obj) => ({ event: type, data: { type, sequence_number: n++, ...data } });
      return streamOut(res, [
        ev("response.created", { response: { ...base, status: "in_progress", output: [], usage: null } }),
        ev("response.in_progress", { response: { ...base, status: "in_progress", output: [], usage: null } }),
        ev("response.output_item.added", { output_index: 0, item: { ...fc, status: "in_progress", arguments: "" } }),
        ...pieces(call.args).map((delta) => ev("response.function_call_arguments.delta", { item_id: msgId, output_index: 0, delta })),
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
        ev("response.content_part.added", { item_id: msgId, output_index: 0, content_index: 0, part: { ...part, text: "" } }),
        ...pieces(a.text).map((delta) => ev("response.output_text.delta", { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] })),
        ev("response.output_text.done", { item_id: msgId, output_index: 0, content_index: 0, text: a.text, logprobs: [] }),
        ev("response.content_part.done", { item_id: msgId, output_index: 0, content_index: 0, part }),
        ev("response.output_item.done", { output_index: 0, item }),
        ev(a.finished ? "response.completed" : "response.incomplete", { response: done }),
      ];
      return streamOut(res, events);
    }
    json(res, 200, done);
  }

  // ---------------------------------------------------------------- Anthropic

  function anthropicTurns(body: Obj): Prompt {
    const turns: Turn[] = [];
    if (body.system !== undefined) turns.push({ role: "system", text: textOf(body.system), cacheMark: hasCacheMark(body.system) });
    for (const m of (Array.isArray(body.messages) ? body.messages : []).filter(isObj)) {
      const blocks = Array.isArray(m.content) ? m.content.filter(isObj) : [];
      const results = blocks.filter((b) => b.type === "tool_result");
      const uses = blocks.filter((b) => b.type === "tool_use").map((b) => `${String(b.name)}${JSON.stringify(b.input ?? {})}`);
      // A user message carrying tool results is the tool's turn, not the user's.
      if (results.length) for (const r of results) turns.push({ role: "tool", text: textOf(r.content), cacheMark: r.cache_control !== undefined, toolResult: true });
      else turns.push({ role: String(m.role ?? "user"), text: [textOf(m.content), ...uses].filter(Boolean).join("\n"), cacheMark: hasCacheMark(m.content) });
    }
    return prompt(turns);
  }

  async function anthropicMessages(body: Obj, res: ServerResponse, rec: RecordedRequest) {
    const model = String(body.model ?? "");
    const p = anthropicTurns(body);
    const call = requestedTool(p, offers(body.tools));
    if (call) rec.toolCall = call.name;
    const a = call ? { ...toolAnswer(model, call, false), text: "", finished: true } : answer(model, p, num(body.max_tokens), true);
    const total = inputTokens(p);
    // The cacheable prefix runs through the last turn marked cache_control.
    const lastMark = p.turns.map((t) => t.cacheMark).lastIndexOf(true);
    let cacheRead = 0;
    let cacheWrite = 0;
    if (lastMark >= 0) {
      const prefix = p.turns.slice(0, lastMark + 1);
      const prefixTokens = prefix.reduce((n, t) => n + tokens(t.text) + PER_MESSAGE, 0);
      const key = `anthropic:${hash(JSON.stringify(prefix))}`;
      if (seenPrompts.has(key)) cacheRead = prefixTokens;
      else cacheWrite = prefixTokens;
      seenPrompts.add(key);
    }
    const usage = {
      input_tokens: total - cacheRead - cacheWrite,
      output_tokens: a.visible,
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: cacheWrite, ephemeral_1h_input_tokens: 0 },
      service_tier: "standard",
    };
    const id = nextId("msg");
    const stop = call ? "tool_use" : a.finished ? "end_turn" : "max_tokens";
    const toolUse = call ? { type: "tool_use", id: nextId("toolu"), name: call.name, input: JSON.parse(call.args) as unknown } : undefined;
    const message = { id, type: "message", role: "assistant", model, content: [toolUse ?? { type: "text", text: a.text }], stop_reason: stop, stop_sequence: null, usage };
    if (body.stream === true) {
      const ev = (type: string, data: Obj) => ({ event: type, data: { type, ...data } });
      if (call && toolUse)
        return streamOut(res, [
          ev("message_start", { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }),
          ev("content_block_start", { index: 0, content_block: { ...toolUse, input: {} } }),
          ...pieces(call.args).map((partial_json) => ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json } })),
          ev("content_block_stop", { index: 0 }),
          ev("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: a.visible } }),
          ev("message_stop", {}),
        ]);
      return streamOut(res, [
        ev("message_start", { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }),
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

  // ------------------------------------------------------------------- Google

  function googleTurns(body: Obj): Prompt {
    const turns: Turn[] = [];
    if (body.systemInstruction !== undefined) turns.push({ role: "system", text: textOf(body.systemInstruction), cacheMark: false });
    for (const c of (Array.isArray(body.contents) ? body.contents : []).filter(isObj)) {
      turns.push({ role: c.role === "model" ? "model" : "user", text: textOf(c.parts), cacheMark: false });
    }
    return prompt(turns);
  }

  async function googleGenerate(model: string, body: Obj, stream: boolean, res: ServerResponse) {
    const p = googleTurns(body);
    const config = isObj(body.generationConfig) ? body.generationConfig : {};
    const a = answer(model, p, num(config.maxOutputTokens), false);
    const promptTokens = inputTokens(p);
    const usageMetadata: Obj = {
      promptTokenCount: promptTokens,
      candidatesTokenCount: a.visible,
      totalTokenCount: promptTokens + a.visible + a.reasoning,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: promptTokens }],
      ...(a.reasoning ? { thoughtsTokenCount: a.reasoning } : {}),
    };
    const responseId = nextId("gresp");
    const finishReason = a.finished ? "STOP" : "MAX_TOKENS";
    const candidate = (text: string, finish: string | undefined) => ({ content: { parts: [{ text }], role: "model" }, ...(finish ? { finishReason: finish } : {}), index: 0 });
    if (stream) {
      const parts = pieces(a.text);
      return streamOut(
        res,
        parts.map((text, i) => {
          const last = i === parts.length - 1;
          return { data: { candidates: [candidate(text, last ? finishReason : undefined)], ...(last ? { usageMetadata } : {}), modelVersion: model, responseId } };
        }),
      );
    }
    json(res, 200, { candidates: [candidate(a.text, finishReason)], usageMetadata, modelVersion: model, responseId });
  }

  // ---------------------------------------------------------------- plumbing

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://local");
    if (req.method === "GET" && url.pathname === "/health") return json(res, 200, { ok: true });
    if (req.method !== "POST") return json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    let body: Obj;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (!isObj(parsed)) throw new Error("not an object");
      body = parsed;
    } catch {
      return json(res, 400, { error: { type: "invalid_request_error", message: "request body must be a JSON object" } });
    }
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const g = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
    const model = g ? decodeURIComponent(g[1]!) : String(body.model ?? "");
    if (model.includes("fail")) {
      if (url.pathname.startsWith("/v1/messages")) return json(res, 500, { type: "error", error: { type: "api_error", message: "simulated provider failure" } });
      if (g) return json(res, 500, { error: { code: 500, message: "simulated provider failure", status: "INTERNAL" } });
      return json(res, 500, { error: { message: "simulated provider failure", type: "server_error", param: null, code: null } });
    }
    if (url.pathname === "/v1/chat/completions") {
      const rec: RecordedRequest = { api: "openai.chat", model, stream: body.stream === true };
      requests.push(rec);
      return openaiChat(body, res, rec);
    }
    if (url.pathname === "/v1/responses") {
      const rec: RecordedRequest = { api: "openai.responses", model, stream: body.stream === true };
      requests.push(rec);
      return openaiResponses(body, res, rec);
    }
    if (url.pathname === "/v1/messages") {
      const rec: RecordedRequest = { api: "anthropic.messages", model, stream: body.stream === true };
      requests.push(rec);
      return anthropicMessages(body, res, rec);
    }
    if (g) {
      const stream = g[2] === "streamGenerateContent";
      requests.push({ api: "google.generate", model, stream });
      return googleGenerate(model, body, stream, res);
    }
    json(res, 404, { error: { message: `no route POST ${url.pathname}` } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { message: String(e) } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    port,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    googleBaseUrl: url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Splits a reply into word-sized stream deltas. */
function pieces(text: string): string[] {
  const out = text.match(/\S+\s*|\s+/g) ?? [];
  return out.length ? out : [""];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "x-request-id": "req_wflo_local" });
  res.end(text);
}

async function sse(res: ServerResponse, events: { event?: string; data: unknown }[], done: string | undefined, gapMs: number) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const [i, e] of events.entries()) {
    if (gapMs > 0 && i > 0) {
      await new Promise((r) => setTimeout(r, gapMs));
      // The client hung up (a stream cut short): nothing more to send.
      if (res.destroyed) return;
    }
    res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${JSON.stringify(e.data)}\n\n`);
  }
  if (done) res.write(`data: ${done}\n\n`);
  res.end();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await startProviderServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`wflo provider server on ${s.url} (OpenAI base ${s.openaiBaseUrl}, Anthropic ${s.anthropicBaseUrl}, Google ${s.googleBaseUrl})`);
}
