import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { inngest } from "@/inngest/client";

/**
 * Test-only workflows: unchanged agent code on the three real SDKs, its clients wrapped with
 * `wflo.wrap`. Base URLs come from the test (the local provider server), never from env.
 */
export const providerUrls = { openai: "", anthropic: "", google: "" };

const clients = () => ({
  openai: new OpenAI({ apiKey: "sk-test-wrapped", baseURL: providerUrls.openai, maxRetries: 0 }),
  anthropic: new Anthropic({ apiKey: "sk-ant-test-wrapped", baseURL: providerUrls.anthropic, maxRetries: 0 }),
  google: new GoogleGenAI({ apiKey: "test-wrapped", httpOptions: { baseUrl: providerUrls.google } }),
});

/** "Existing agent code": plain functions taking SDK clients, unaware of wflo. */
async function agent(openai: OpenAI, anthropic: Anthropic, google: GoogleGenAI) {
  const chat = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    max_tokens: 200,
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Name one use of advisory locks." },
    ],
  });
  const again = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    max_tokens: 200,
    messages: [{ role: "user", content: "And another one." }],
  });
  const resp = await openai.responses.create({
    model: "gpt-4o-mini",
    instructions: "Be brief.",
    input: "Define MVCC.",
    max_output_tokens: 200,
  });
  const msg = await anthropic.messages.create({
    model: "claude-3-5-haiku-latest",
    max_tokens: 200,
    system: "Be brief.",
    messages: [{ role: "user", content: "Explain WAL in one line." }],
  });
  const gem = await google.models.generateContent({
    model: "gemini-2.0-flash",
    contents: "Explain vacuum.",
    config: { maxOutputTokens: 200 },
  });
  const first = msg.content[0];
  return {
    chat: chat.choices[0]?.message.content,
    again: again.choices[0]?.message.content,
    responses: resp.output_text,
    anthropic: first?.type === "text" ? first.text : null,
    google: gem.text,
  };
}

export const wrappedAgent = inngest.createFunction(
  { id: "test-wrapped-agent", retries: 0, triggers: [{ event: "test/wrapped.agent" }] },
  async ({ wflo, step }) => {
    const c = clients();
    const out = await agent(wflo.wrap(c.openai), wflo.wrap(c.anthropic, { agent: "writer" }), wflo.wrap(c.google));
    // A plain step after the calls: the run goes on past memoised LLM steps.
    const after = await step.run("after", () => "done");
    return { ...out, after };
  },
);

export const wrappedStreaming = inngest.createFunction(
  { id: "test-wrapped-stream", retries: 0, triggers: [{ event: "test/wrapped.stream" }] },
  async ({ wflo }) => {
    const openai = wflo.wrap(clients().openai);
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    return "unreachable";
  },
);

export const wrappedTestFunctions = [wrappedAgent, wrappedStreaming];
