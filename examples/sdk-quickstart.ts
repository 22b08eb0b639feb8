/**
 * Quickstart: the reference's WfloWorkflow example on wflo's TypeScript SDK (`wflo/sdk`).
 *
 * A plain async agent: a researched checkpoint, then a synthesis checkpoint, each making one
 * OpenAI call through `trackLlmCall` (budget checked before the call, tokens and cost recorded
 * after). It runs durably on a running wflo's engine and shows up in its control panel.
 *
 * Run it on the machine where the control panel runs, from the project folder:
 *   npm start                                                  # terminal 1: panel + engine + database
 *   OPENAI_API_KEY=sk-... npx tsx examples/sdk-quickstart.ts "vector databases"
 * Offline, with the local wire-format provider server standing in for OpenAI:
 *   npx tsx server/governance/testing/provider-server.ts 4010 &
 *   OPENAI_BASE_URL=http://127.0.0.1:4010/v1 OPENAI_API_KEY=sk-local npx tsx examples/sdk-quickstart.ts
 * The script finds the panel's engine on 127.0.0.1:8288 (WFLO_ENGINE_PORT) and its embedded
 * database under .wflo/ (or DATABASE_URL when the panel uses an external one). Then open
 * http://localhost:3000/runs/<executionId> to see the run, its steps, checkpoints and costs.
 */
import OpenAI from "openai";
import { BudgetExceededError, WfloWorkflow, checkpoint, shutdown, trackLlmCall } from "wflo/sdk";

const openai = new OpenAI({ maxRetries: 0 }); // OPENAI_API_KEY, OPENAI_BASE_URL from the environment

// @track_llm_call(model="gpt-4o-mini")
const chat = trackLlmCall({ model: "gpt-4o-mini", maxOutputTokens: 300 }, (prompt: string) =>
  openai.chat.completions.create({
    model: "gpt-4o-mini",
    max_tokens: 300,
    messages: [{ role: "user", content: prompt }],
  }),
);

// @checkpoint(name="research_complete")
const research = checkpoint("research_complete", async (topic: string) => {
  const r = await chat(`List three key facts about ${topic}.`);
  return { topic, facts: r.choices[0]?.message.content ?? "" };
});

// @checkpoint(name="synthesis_complete")
const synthesize = checkpoint("synthesis_complete", async (state: { topic: string; facts: string }) => {
  const r = await chat(`Write a two-sentence summary of ${state.topic} from these facts:\n${state.facts}`);
  return { ...state, summary: r.choices[0]?.message.content ?? "" };
});

async function researchAgent(inputs: { topic: string }) {
  const researched = await research(inputs.topic);
  return synthesize(researched);
}

const workflow = new WfloWorkflow({ name: "sdk-quickstart", budgetUsd: 0.05 });
try {
  const result = await workflow.execute(researchAgent, { topic: process.argv[2] ?? "PostgreSQL MVCC" });
  console.log(`Summary: ${result.summary}`);

  console.log(`Execution: ${workflow.executionId}`);
  const breakdown = await workflow.getCostBreakdown();
  console.log(`Total: $${breakdown.totalUsd.toFixed(6)}`);
  console.log(`Budget: $${breakdown.budgetUsd?.toFixed(2)}`);
  console.log(`Remaining: $${breakdown.remainingUsd?.toFixed(6)}`);
  for (const m of breakdown.byModel)
    console.log(
      `  ${m.provider}/${m.model}: ${m.calls} calls, ${m.inputTokens} in / ${m.outputTokens} out, $${m.costUsd.toFixed(6)}`,
    );

  // If the synthesis has issues: the state saved after research, to continue from.
  const previous = await workflow.rollbackToCheckpoint<{ topic: string; facts: string }>("research_complete");
  console.log(`Checkpoint research_complete: ${previous.facts.slice(0, 80)}`);
} catch (e) {
  if (!(e instanceof BudgetExceededError)) throw e;
  console.log(`Budget exceeded: $${e.spentUsd.toFixed(4)} > $${e.budgetUsd.toFixed(2)} (run ${e.executionId})`);
} finally {
  await shutdown();
}
