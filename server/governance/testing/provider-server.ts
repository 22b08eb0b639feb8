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
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { anthropicMessages } from "./provider-wire/anthropic";
import { type ContextOptions, providerContext, type RecordedRequest } from "./provider-wire/context";
import { googleGenerate } from "./provider-wire/google";
import { json, readBody } from "./provider-wire/http";
import { openaiChat } from "./provider-wire/openai-chat";
import { openaiResponses } from "./provider-wire/openai-responses";
import { isObj, type Obj } from "./provider-wire/prompt";

export type { RecordedRequest } from "./provider-wire/context";

export type ProviderServerOptions = ContextOptions & {
  port?: number;
  host?: string;
  /** Added before every answer, to simulate provider latency. */
  latencyMs?: number;
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

export async function startProviderServer(opts: ProviderServerOptions = {}): Promise<ProviderServer> {
  const requests: RecordedRequest[] = [];
  const ctx = providerContext(opts);

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
      return json(res, 400, {
        error: { type: "invalid_request_error", message: "request body must be a JSON object" },
      });
    }
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const g = /^\/v1beta\/models\/([^:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
    const model = g ? decodeURIComponent(g[1]!) : String(body.model ?? "");
    if (model.includes("fail")) {
      if (url.pathname.startsWith("/v1/messages"))
        return json(res, 500, { type: "error", error: { type: "api_error", message: "simulated provider failure" } });
      if (g) return json(res, 500, { error: { code: 500, message: "simulated provider failure", status: "INTERNAL" } });
      return json(res, 500, {
        error: { message: "simulated provider failure", type: "server_error", param: null, code: null },
      });
    }
    if (url.pathname === "/v1/chat/completions") {
      const rec: RecordedRequest = { api: "openai.chat", model, stream: body.stream === true };
      requests.push(rec);
      return openaiChat(ctx, body, res, rec);
    }
    if (url.pathname === "/v1/responses") {
      const rec: RecordedRequest = { api: "openai.responses", model, stream: body.stream === true };
      requests.push(rec);
      return openaiResponses(ctx, body, res, rec);
    }
    if (url.pathname === "/v1/messages") {
      const rec: RecordedRequest = { api: "anthropic.messages", model, stream: body.stream === true };
      requests.push(rec);
      return anthropicMessages(ctx, body, res, rec);
    }
    if (g) {
      const stream = g[2] === "streamGenerateContent";
      requests.push({ api: "google.generate", model, stream });
      return googleGenerate(ctx, model, body, stream, res);
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const s = await startProviderServer({ port: Number(process.argv[2] ?? 0) });
  console.log(
    `wflo provider server on ${s.url} (OpenAI base ${s.openaiBaseUrl}, Anthropic ${s.anthropicBaseUrl}, Google ${s.googleBaseUrl})`,
  );
}
