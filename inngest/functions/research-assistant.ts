import { z } from "zod";
import { defineWorkflow } from "./define";

export const FEEDBACK_EVENT = "research/feedback.submitted";

/**
 * A multi-step agent: plans sub-questions with an LLM, researches them in parallel, drafts a
 * report, pauses, then waits for a person's feedback (matched on the run's topic id) before
 * writing the final version. Every LLM call is one durable step.
 */
export const researchAssistant = defineWorkflow(
  {
    id: "research-assistant",
    name: "Research assistant",
    description:
      "Plans sub-questions, researches them in parallel, drafts a report, waits for your feedback and writes the final version.",
    event: "research/requested",
    usesLlm: true,
    retries: 2,
    input: z.object({
      topic: z
        .string({ error: "topic must be text" })
        .trim()
        .min(3, "topic must be at least 3 characters")
        .max(200, "topic must be at most 200 characters")
        .describe("What to research"),
      questions: z
        .number({ error: "questions must be a number" })
        .int("questions must be a whole number")
        .min(1, "questions must be at least 1")
        .max(5, "questions must be at most 5")
        .default(3)
        .describe("How many sub-questions to research in parallel"),
      depth: z
        .enum(["brief", "standard", "thorough"], { error: "depth must be one of: brief, standard, thorough" })
        .default("standard")
        .describe("How long the report should be"),
      audience: z
        .string()
        .trim()
        .max(2000, "audience must be at most 2000 characters")
        .default("")
        .describe("Who will read the report and what they care about (optional)"),
      feedbackTimeout: z
        .enum(["30s", "2m", "10m", "1h"], { error: "feedbackTimeout must be one of: 30s, 2m, 10m, 1h" })
        .default("2m")
        .describe("How long to wait for feedback before finishing without it"),
    }),
  },
  async ({ input, step, wflo, runId }) => {
    // Derived from the run id so every replay computes the same value.
    const topicId = `topic_${runId}`;

    const plan = await wflo.llm.complete("plan", {
      system: "You break research topics into focused, answerable sub-questions.",
      prompt: `Topic: ${input.topic}\nAudience: ${input.audience || "general"}\nList ${input.questions} sub-questions.`,
    });
    const questions = Array.from({ length: input.questions }, (_, i) => `Sub-question ${i + 1} on ${input.topic}`);
    await wflo.checkpoint("plan", { topic: input.topic, plan: plan.text, questions });

    const findings = await Promise.all(
      questions.map((q, i) =>
        wflo.llm.complete(`research-${i + 1}`, {
          system: "You answer one research question with evidence.",
          prompt: `${q}\nContext from the plan: ${plan.text}`,
        }),
      ),
    );

    const draft = await wflo.llm.complete("draft", {
      system: `You write ${input.depth} research reports.`,
      prompt: `Topic: ${input.topic}\nFindings:\n${findings.map((f, i) => `${i + 1}. ${f.text}`).join("\n")}`,
    });

    // Version 1 of the report: a fork from here can start over with an edited draft.
    let report = await wflo.checkpoint("report", { stage: "draft", text: draft.text, feedback: null as string | null });

    // A short pause before asking for review, so a reviewer sees a settled draft.
    await step.sleep("pause-before-review", "2s");

    const feedback = await step.waitForEvent("await-feedback", {
      event: FEEDBACK_EVENT,
      timeout: input.feedbackTimeout,
      if: `async.data.topicId == "${topicId}"`,
    });
    // Version 2: the draft with the reviewer's comments; the operator can fork from it with other comments.
    report = await wflo.checkpoint("report", {
      stage: "reviewed",
      text: report.text,
      feedback: typeof feedback?.data?.comments === "string" ? feedback.data.comments : null,
    });
    const comments = report.feedback;

    const final = await wflo.llm.complete("finalize", {
      system: `You revise ${input.depth} research reports.`,
      prompt: comments
        ? `Topic: ${input.topic}\nDraft:\n${report.text}\nReviewer feedback:\n${comments}\nRevise accordingly.`
        : `Topic: ${input.topic}\nDraft:\n${report.text}\nNo feedback arrived; polish it.`,
    });

    const calls = [plan, ...findings, draft, final];
    return {
      topicId,
      topic: input.topic,
      report: final.text,
      feedback: comments ? { received: true, comments } : { received: false },
      simulated: calls.some((c) => c.simulated),
      llmCalls: calls.length,
      tokens: calls.reduce((n, c) => n + c.usage.inputTokens + c.usage.outputTokens, 0),
    };
  },
);
