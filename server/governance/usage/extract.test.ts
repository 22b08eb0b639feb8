import Anthropic from "@anthropic-ai/sdk";
import { createOpenAI } from "@ai-sdk/openai";
import { GoogleGenAI } from "@google/genai";
import { ChatOpenAI } from "@langchain/openai";
import { generateText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";
import { countTokens } from "@/server/governance/estimate/tokens";
import { extractUsage } from "./extract";
import { UsageError } from "./types";

let server: ProviderServer;
let openai: OpenAI;
let anthropic: Anthropic;
let google: GoogleGenAI;

beforeAll(async () => {
  server = await startProviderServer();
  openai = new OpenAI({ apiKey: "test", baseURL: server.openaiBaseUrl, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: "test", baseURL: server.anthropicBaseUrl, maxRetries: 0 });
  google = new GoogleGenAI({ apiKey: "test", httpOptions: { baseUrl: server.googleBaseUrl } });
});
afterAll(async () => server.close());

/** Same usage from the SDK's object and from its JSON round trip (what a durable step stores). */
function both(response: unknown, hint?: Parameters<typeof extractUsage>[1]) {
  const a = extractUsage(response, hint);
  expect(extractUsage(JSON.parse(JSON.stringify(response)), hint)).toEqual(a);
  return a;
}

const longText = "The quick brown fox jumps over the lazy dog. ".repeat(150);

describe("OpenAI SDK", () => {
  it("Chat Completions", async () => {
    const res = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello" }],
      max_tokens: 50,
    });
    const u = both(res);
    expect(u).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: res.usage!.prompt_tokens,
      outputTokens: res.usage!.completion_tokens,
    });
    expect(u.inputTokens).toBeGreaterThan(0);
    expect(u.outputTokens).toBeGreaterThan(0);
  });

  it("Chat Completions streaming: the final chunk carries usage", async () => {
    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Stream please" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let last: unknown;
    let text = "";
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      last = chunk;
    }
    expect(text).toBe("Reply from gpt-4o: Stream please");
    expect(both(last)).toMatchObject({ provider: "openai", model: "gpt-4o", outputTokens: countTokens(text) });
  });

  it("reasoning and cached prompt tokens at their own counts", async () => {
    const messages = [{ role: "user" as const, content: longText }];
    await openai.chat.completions.create({ model: "o3-mini", messages });
    const res = await openai.chat.completions.create({ model: "o3-mini", messages });
    const u = both(res);
    expect(u.reasoningTokens).toBe(64);
    expect(u.cachedInputTokens).toBeGreaterThanOrEqual(1024);
    expect(u.cachedInputTokens % 128).toBe(0);
    expect(u.inputTokens).toBe(res.usage!.prompt_tokens);
  });

  it("Responses API, plain and streamed (response.completed event)", async () => {
    const res = await openai.responses.create({ model: "gpt-4.1-mini", input: "Hello there", max_output_tokens: 100 });
    expect(res.output_text).toBe("Reply from gpt-4.1-mini: Hello there");
    expect(both(res)).toMatchObject({
      provider: "openai",
      model: "gpt-4.1-mini",
      inputTokens: res.usage!.input_tokens,
      outputTokens: res.usage!.output_tokens,
    });

    const stream = await openai.responses.create({ model: "o4-mini", input: "Stream it", stream: true });
    let completed: unknown;
    for await (const ev of stream) if (ev.type === "response.completed") completed = ev;
    expect(both(completed)).toMatchObject({ provider: "openai", model: "o4-mini", reasoningTokens: 64 });
  });
});

describe("Anthropic SDK", () => {
  it("Messages with cache writes then cache reads, totals including both", async () => {
    const params = {
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      system: [{ type: "text" as const, text: longText, cache_control: { type: "ephemeral" as const } }],
      messages: [{ role: "user" as const, content: "Summarise" }],
    };
    const first = both(await anthropic.messages.create(params));
    const second = both(await anthropic.messages.create(params));
    expect(first).toMatchObject({ provider: "anthropic", model: "claude-sonnet-4-5", cachedInputTokens: 0 });
    expect(first.cacheWriteTokens).toBeGreaterThan(1000);
    expect(second).toMatchObject({
      cacheWriteTokens: 0,
      cachedInputTokens: first.cacheWriteTokens,
      inputTokens: first.inputTokens,
    });
    expect(first.inputTokens).toBeGreaterThan(first.cacheWriteTokens);
  });

  it("streamed message: finalMessage()", async () => {
    const msg = await anthropic.messages
      .stream({
        model: "claude-3-5-haiku-latest",
        max_tokens: 5,
        messages: [{ role: "user", content: "A long question here" }],
      })
      .finalMessage();
    expect(msg.stop_reason).toBe("max_tokens");
    expect(both(msg)).toMatchObject({ provider: "anthropic", outputTokens: 5 });
  });
});

describe("Google GenAI SDK", () => {
  it("generateContent: thoughts count as output and as reasoning", async () => {
    const res = await google.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Hello Gemini",
      config: { maxOutputTokens: 100 },
    });
    expect(res.text).toBe("Reply from gemini-2.5-flash: Hello Gemini");
    const u = both(res);
    expect(u).toMatchObject({ provider: "google", model: "gemini-2.5-flash", reasoningTokens: 64 });
    expect(u.outputTokens).toBe(res.usageMetadata!.candidatesTokenCount! + 64);
  });

  it("generateContentStream: the last chunk carries usageMetadata", async () => {
    let last: unknown;
    for await (const chunk of await google.models.generateContentStream({
      model: "gemini-2.0-flash",
      contents: "Stream Gemini",
    }))
      last = chunk;
    expect(both(last)).toMatchObject({ provider: "google", model: "gemini-2.0-flash", reasoningTokens: 0 });
  });
});

describe("Vercel AI SDK", () => {
  it("generateText result (chat and responses providers)", async () => {
    const provider = createOpenAI({ apiKey: "test", baseURL: server.openaiBaseUrl });
    const chat = await generateText({ model: provider.chat("gpt-4o-mini"), prompt: "Hi from ai", maxRetries: 0 });
    expect(chat.text).toBe("Reply from gpt-4o-mini: Hi from ai");
    expect(both(chat, { model: "gpt-4o-mini" })).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: chat.totalUsage.inputTokens,
      outputTokens: chat.totalUsage.outputTokens,
    });
    const responses = await generateText({ model: provider.responses("o3"), prompt: "Think", maxRetries: 0 });
    expect(both(responses)).toMatchObject({ provider: "openai", model: "o3", reasoningTokens: 64 });
  });
});

describe("LangChain", () => {
  it("AIMessage usage_metadata, as instance and as serialised JSON", async () => {
    const llm = new ChatOpenAI({
      model: "gpt-4o-mini",
      apiKey: "test",
      configuration: { baseURL: server.openaiBaseUrl },
      maxRetries: 0,
    });
    const msg = await llm.invoke("Hello LangChain");
    const u = both(msg);
    expect(u).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: msg.usage_metadata!.input_tokens,
      outputTokens: msg.usage_metadata!.output_tokens,
    });
    expect(u.inputTokens).toBeGreaterThan(0);
  });

  it("older messages with only response_metadata.tokenUsage", () => {
    expect(
      extractUsage({
        content: "x",
        response_metadata: {
          model_name: "gpt-4",
          tokenUsage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
        },
      }),
    ).toMatchObject({
      provider: "openai",
      model: "gpt-4",
      inputTokens: 12,
      outputTokens: 3,
    });
  });
});

describe("bad usage", () => {
  it("refuses negative, fractional and absurd counts and subsets larger than totals, naming the field", () => {
    const chat = (usage: object) => ({ object: "chat.completion", model: "gpt-4o", usage });
    expect(() => extractUsage(chat({ prompt_tokens: -1, completion_tokens: 2 }))).toThrow(
      new UsageError("inputTokens: must be a non-negative integer (got -1)"),
    );
    expect(() => extractUsage(chat({ prompt_tokens: 1.5, completion_tokens: 2 }))).toThrow(
      "inputTokens: must be a non-negative integer (got 1.5)",
    );
    expect(() => extractUsage(chat({ prompt_tokens: 1, completion_tokens: 1e12 }))).toThrow(
      "outputTokens: 1000000000000 tokens is beyond any real call",
    );
    expect(() => extractUsage(chat({ prompt_tokens: 1, completion_tokens: "2" }))).toThrow(
      "completion_tokens: token count must be a number (got string)",
    );
    expect(() =>
      extractUsage(
        chat({ prompt_tokens: 10, completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 5 } }),
      ),
    ).toThrow("reasoningTokens (5) cannot exceed outputTokens (2)");
    expect(() => extractUsage({ id: "x" })).toThrow("response: no token usage found");
    expect(() => extractUsage(null)).toThrow("response: expected an object with usage, got null");
  });

  it("uses the hint when the response names no model or provider", () => {
    expect(
      extractUsage({ usage: { input_tokens: 5, output_tokens: 1 } }, { model: "claude-3-5-haiku-latest" }),
    ).toMatchObject({
      provider: "anthropic",
      model: "claude-3-5-haiku-latest",
      inputTokens: 5,
    });
  });
});
