/**
 * Example: existing agent code on the provider SDKs, governed by wflo without changing a call site.
 *
 * Not registered by default (it needs real provider keys; the demo workflows use the simulated
 * provider instead). To try it: set OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY, add
 * `wrappedClients` to `workflows` in inngest/registry.ts, start wflo and trigger
 * "examples/wrapped-clients" (e.g. `wflo run wrapped-clients --input '{"topic":"MVCC"}' --budget 0.05`).
 * Each call becomes a durable step `llm:<model>:<n>`, priced into `llm_calls`, held to every
 * budget; a budget too small stops the run before the provider is called.
 */
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";

/** Plain agent code, unaware of wflo: it only takes clients. */
export async function researchAgent(
  topic: string,
  clients: { openai: OpenAI; anthropic: Anthropic; google: GoogleGenAI },
) {
  const outline = await clients.openai.chat.completions.create({
    model: "gpt-4o-mini",
    max_tokens: 300,
    messages: [
      { role: "system", content: "You outline technical explainers." },
      { role: "user", content: `Outline an explainer on ${topic}.` },
    ],
  });
  const draft = await clients.anthropic.messages.create({
    model: "claude-3-5-haiku-latest",
    max_tokens: 600,
    messages: [
      { role: "user", content: `Write the explainer from this outline:\n${outline.choices[0]?.message.content ?? ""}` },
    ],
  });
  const text = draft.content.map((b) => (b.type === "text" ? b.text : "")).join("");
  const review = await clients.google.models.generateContent({
    model: "gemini-2.0-flash",
    contents: `Review for accuracy:\n${text}`,
    config: { maxOutputTokens: 300 },
  });
  return { draft: text, review: review.text ?? "" };
}

export const wrappedClients = defineWorkflow(
  {
    id: "wrapped-clients",
    name: "Wrapped provider clients (example)",
    description: "Unchanged agent code on the OpenAI, Anthropic and Google SDKs; every call governed by wflo.wrap.",
    event: "examples/wrapped-clients",
    input: z.object({ topic: z.string().min(1).default("PostgreSQL MVCC").describe("What to explain") }),
    retries: 2,
  },
  async ({ input, wflo }) =>
    researchAgent(input.topic, {
      openai: wflo.wrap(new OpenAI()),
      anthropic: wflo.wrap(new Anthropic(), { agent: "writer" }),
      google: wflo.wrap(new GoogleGenAI({ apiKey: process.env.GEMINI_API_KEY })),
    }),
);
