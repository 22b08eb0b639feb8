/**
 * Example: a Vercel AI SDK agent (`ToolLoopAgent`, ai 6) and a plain `generateText` call, run as
 * wflo workflows unchanged. wflo detects them by shape and runs them with its AI SDK adapter
 * (server/adapters/frameworks/ai-sdk.ts):
 *   - the model is wrapped (`governModel`, a `wrapLanguageModel` middleware): every model call
 *     is a durable step `ai-sdk:<model>:<n>` whose budget is checked before the provider sees the
 *     request, and whose provider-reported tokens are priced from the catalogue after;
 *   - every tool execution is a durable step `tool:<name>:<n>`: a replayed or retried run never
 *     runs a finished tool or pays a finished call again;
 *   - a checkpoint `ai-sdk.turn` after every model turn shows on the run page.
 *
 * Not registered by default (it needs a real key). To try it: set OPENAI_API_KEY (offline: start
 * `npx tsx server/governance/testing/provider-server.ts 4010` and set
 * OPENAI_BASE_URL=http://127.0.0.1:4010/v1 — then ask it to `call tool glossary with {"term":"MVCC"}`),
 * add `aiSdkAgentExample` and `aiSdkCallExample` to `workflows` in inngest/registry.ts, start
 * wflo and run `wflo run ai-sdk-agent-example --input '{"question":"What is MVCC?","stream":true}' --budget 0.05`.
 */
import { openai } from "@ai-sdk/openai";
import { stepCountIs, tool, ToolLoopAgent } from "ai";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";
import { runTarget } from "@/server/adapters/frameworks";

const terms: Record<string, string> = {
  MVCC: "multi-version concurrency control: readers see a snapshot, writers add row versions",
};

const glossary = tool({
  description: "Look a database term up in the team glossary.",
  inputSchema: z.object({ term: z.string() }),
  execute: async ({ term }) => terms[term] ?? `no entry for ${term}`,
});

/** Existing agent code: nothing in it knows about wflo. */
export const explainer = new ToolLoopAgent({
  id: "explainer",
  model: openai("gpt-4o-mini"),
  instructions: "Look terms up with the glossary tool, then explain them in two sentences.",
  tools: { glossary },
  stopWhen: stepCountIs(5),
  maxOutputTokens: 400,
});

export const aiSdkAgentExample = defineWorkflow(
  {
    id: "ai-sdk-agent-example",
    name: "AI SDK agent (example)",
    description:
      "A Vercel AI SDK ToolLoopAgent with a tool, run unchanged under wflo's budgets, durable steps and checkpoints.",
    event: "examples/ai-sdk-agent",
    input: z.object({
      question: z.string().min(1).default("What is MVCC?"),
      stream: z.boolean().default(false).describe("streamText instead of generateText"),
    }),
    retries: 2,
  },
  // `stream: true` runs agent.stream(): the model's answer streams from the provider.
  async (ctx) => runTarget(explainer, { prompt: ctx.input.question, stream: ctx.input.stream }, ctx),
);

export const aiSdkCallExample = defineWorkflow(
  {
    id: "ai-sdk-call-example",
    name: "AI SDK generateText (example)",
    description: "The options of a generateText call (model, system, tools) run as a governed, durable workflow.",
    event: "examples/ai-sdk-call",
    input: z.object({ question: z.string().min(1).default("What is MVCC?") }),
    retries: 2,
  },
  // The options object of generateText (add `stream: true` for streamText); the input is the prompt.
  async (ctx) =>
    runTarget(
      {
        model: openai.chat("gpt-4o-mini"),
        system: "Be brief.",
        tools: { glossary },
        stopWhen: stepCountIs(5),
        maxOutputTokens: 400,
      },
      ctx.input.question,
      ctx,
    ),
);
