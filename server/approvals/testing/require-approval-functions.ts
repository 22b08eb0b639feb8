import OpenAI from "openai";
import { inngest } from "@/inngest/client";
import { withCurrentRun } from "@/server/adapters/current-run";
import { checkpoint, trackLlmCall } from "@/sdk/decorators";

/**
 * Test-only workflows for "require approval" on every LLM call path: a wrapped client, a call
 * governed with wflo.trackLlmCall, and a call made inline inside a step (the SDK's
 * checkpoint(name, fn)). The provider base URL comes from the test (the local provider server).
 */
export const raProvider = { openaiBaseUrl: "" };

const openai = () =>
  new OpenAI({ apiKey: "sk-test-require-approval", baseURL: raProvider.openaiBaseUrl, maxRetries: 0 });
const ask = (content: string) => ({
  model: "gpt-4o-mini",
  max_tokens: 100,
  messages: [{ role: "user" as const, content }],
});

export const raWrapped = inngest.createFunction(
  { id: "test-ra-wrapped", retries: 0, triggers: [{ event: "test/ra.wrapped" }] },
  async ({ wflo }) => {
    const r = await wflo.wrap(openai()).chat.completions.create(ask("Wrapped question."));
    return { text: r.choices[0]?.message.content ?? null };
  },
);

export const raTracked = inngest.createFunction(
  { id: "test-ra-tracked", retries: 0, triggers: [{ event: "test/ra.tracked" }] },
  async ({ wflo }) => {
    const r = await wflo.trackLlmCall(
      "ask",
      { model: "gpt-4o-mini", maxOutputTokens: 100, messages: [{ role: "user", content: "Tracked question." }] },
      () => openai().chat.completions.create(ask("Tracked question.")),
    );
    return { text: r.choices[0]?.message.content ?? null };
  },
);

/** The SDK's pattern: a tracked call inside checkpoint(name, fn), i.e. inside a step's handler. */
export const raInline = inngest.createFunction(
  { id: "test-ra-inline", retries: 0, triggers: [{ event: "test/ra.inline" }] },
  async (ctx) =>
    withCurrentRun(ctx, async () => {
      const call = trackLlmCall(
        { model: "gpt-4o-mini", maxOutputTokens: 100 },
        async (q: string) => (await openai().chat.completions.create(ask(q))).choices[0]?.message.content ?? null,
      );
      return { text: await checkpoint("draft", (q: string) => call(q))("Inline question.") };
    }),
);

/** The workflow's own step.run making a wrapped call: the gate would have to wait inside the step. */
export const raInStep = inngest.createFunction(
  { id: "test-ra-in-step", retries: 0, triggers: [{ event: "test/ra.in-step" }] },
  async ({ wflo, step }) => {
    const text = await step.run(
      "mine",
      async () =>
        (await wflo.wrap(openai()).chat.completions.create(ask("In-step question."))).choices[0]?.message.content ??
        null,
    );
    return { text };
  },
);

export const requireApprovalTestFunctions = [raWrapped, raTracked, raInline, raInStep];
