import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countTokens } from "@/server/governance/estimate/tokens";
import { startProviderServer, type ProviderServer } from "./provider-server";

/** The tool-call convention, through the real OpenAI and Anthropic SDKs (JSON and SSE). */
let server: ProviderServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await startProviderServer();
  openai = new OpenAI({ apiKey: "test", baseURL: server.openaiBaseUrl, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: "test", baseURL: server.anthropicBaseUrl, maxRetries: 0 });
});
afterAll(async () => server.close());

const ask = 'What is the weather? call tool weather with {"city":"Paris","days":2}';
const args = { city: "Paris", days: 2 };
const fnTool = {
  type: "function" as const,
  function: { name: "weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
};

describe("OpenAI chat", () => {
  it("answers with the tool call, then with the tool result verbatim", async () => {
    const first = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: ask }],
      tools: [fnTool],
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls![0]!;
    if (call.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("weather");
    expect(JSON.parse(call.function.arguments)).toEqual(args);
    expect(first.usage!.completion_tokens).toBe(countTokens(`weather${JSON.stringify(args)}`));
    expect(server.requests.at(-1)).toMatchObject({ api: "openai.chat", toolCall: "weather" });

    const second = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      tools: [fnTool],
      messages: [
        { role: "user", content: ask },
        choice.message,
        { role: "tool", tool_call_id: call.id, content: '{"temp":21}' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('Tool result: {"temp":21}');
    expect(second.choices[0]!.finish_reason).toBe("stop");
  });

  it("streams the tool call", async () => {
    const stream = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: ask }],
      tools: [fnTool],
      stream: true,
      stream_options: { include_usage: true },
    });
    let name = "";
    let argText = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const tc = chunk.choices[0]?.delta.tool_calls?.[0];
      name += tc?.function?.name ?? "";
      argText += tc?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect({ name, args: JSON.parse(argText) as unknown, finish }).toEqual({
      name: "weather",
      args,
      finish: "tool_calls",
    });
  });

  it("without tools offered, the instruction is only text", async () => {
    const res = await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: ask }],
    });
    expect(res.choices[0]!.message.content).toContain("Reply from gpt-4o-mini");
  });
});

describe("OpenAI responses", () => {
  const tool = {
    type: "function" as const,
    name: "weather",
    parameters: { type: "object", properties: {} },
    strict: false,
  };
  it("answers with a function_call item, then with the output", async () => {
    const first = await openai.responses.create({ model: "gpt-4o-mini", input: ask, tools: [tool] });
    const item = first.output[0]!;
    if (item.type !== "function_call") throw new Error(`expected a function_call, got ${item.type}`);
    expect(item.name).toBe("weather");
    expect(JSON.parse(item.arguments)).toEqual(args);
    const second = await openai.responses.create({
      model: "gpt-4o-mini",
      tools: [tool],
      input: [
        { role: "user", content: ask },
        { type: "function_call", call_id: item.call_id, name: item.name, arguments: item.arguments },
        { type: "function_call_output", call_id: item.call_id, output: "sunny" },
      ],
    });
    expect(second.output_text).toBe("Tool result: sunny");
  });

  it("streams the function call", async () => {
    const stream = await openai.responses.create({ model: "gpt-4o-mini", input: ask, tools: [tool], stream: true });
    let done: unknown;
    for await (const ev of stream)
      if (ev.type === "response.function_call_arguments.done") done = JSON.parse(ev.arguments);
    expect(done).toEqual(args);
  });
});

describe("Anthropic messages", () => {
  const tool = { name: "weather", input_schema: { type: "object" as const, properties: {} } };
  it("answers with tool_use, then with the tool_result", async () => {
    const first = await anthropic.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      messages: [{ role: "user", content: ask }],
      tools: [tool],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content[0]!;
    if (use.type !== "tool_use") throw new Error("expected tool_use");
    expect(use.input).toEqual(args);
    const second = await anthropic.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 200,
      tools: [tool],
      messages: [
        { role: "user", content: ask },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny" }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: "text", text: "Tool result: sunny" });
  });

  it("streams the tool_use input", async () => {
    const final = await anthropic.messages
      .stream({
        model: "claude-sonnet-4-5",
        max_tokens: 200,
        messages: [{ role: "user", content: ask }],
        tools: [tool],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[0]).toMatchObject({ type: "tool_use", name: "weather", input: args });
  });
});
