/**
 * Example: an Inngest AgentKit network (a researcher with a tool, then a writer), run as a wflo
 * workflow unchanged. wflo detects the Network and runs it with its framework adapter
 * (server/adapters/frameworks/agentkit.ts):
 *   - AgentKit's model calls (`step.ai.infer`) are made by the app under governance, each a
 *     durable step `agentkit:<model>:<n>` recorded under the agent's name: the budget is checked
 *     before the provider sees the request; tokens and cost are recorded after;
 *   - tool side effects go in `step.run` (AgentKit's convention), so a replayed run skips them;
 *   - a checkpoint `agentkit.agent` after every agent's turn shows on the run page.
 *
 * Not registered by default (it needs real keys). To try it: set OPENAI_API_KEY and
 * ANTHROPIC_API_KEY (or pass `apiKey`/`baseUrl` to the models), add `agentKitExample` to
 * `workflows` in inngest/registry.ts, start wflo and run
 * `wflo run agentkit-network-example --input '{"topic":"MVCC"}' --budget 0.05`.
 */
import { anthropic, createAgent, createNetwork, createTool, openai } from "@inngest/agent-kit";
import { z } from "zod";
import { defineWorkflow } from "@/inngest/functions/define";
import { runTarget } from "@/server/adapters/frameworks";

const glossary: Record<string, string> = {
  MVCC: "multi-version concurrency control: readers see a snapshot, writers add row versions",
};

const lookup = createTool({
  name: "lookup",
  description: "Look a database term up in the team glossary.",
  parameters: z.object({ term: z.string() }),
  handler: async ({ term }, { step }) => step!.run("lookup", async () => glossary[term] ?? `no entry for ${term}`),
});

const researcher = createAgent({
  name: "researcher",
  description: "Finds what a database term means.",
  system: "Look the user's term up with the lookup tool.",
  tools: [lookup],
  model: openai({ model: "gpt-4o-mini" }),
});

const writer = createAgent({
  name: "writer",
  description: "Writes the explanation.",
  system: "Explain the term in two sentences for a new engineer, using what the researcher found.",
  model: anthropic({ model: "claude-3-5-haiku-latest", defaultParameters: { max_tokens: 400 } }),
});

export const researchNetwork = createNetwork({
  name: "glossary",
  agents: [researcher, writer],
  // A code router: the researcher first, then the writer, then done.
  router: ({ callCount }) => (callCount === 0 ? researcher : callCount === 1 ? writer : undefined),
});

export const agentKitExample = defineWorkflow(
  {
    id: "agentkit-network-example",
    name: "AgentKit network (example)",
    description:
      "An Inngest AgentKit network (researcher with a tool, then a writer) run unchanged under wflo's budgets, steps and checkpoints.",
    event: "examples/agentkit-network",
    input: z.object({ topic: z.string().min(1).default("MVCC").describe("The term to explain") }),
    retries: 2,
  },
  async (ctx) => runTarget(researchNetwork, `Explain ${ctx.input.topic}.`, ctx),
);
