import { NonRetriableError } from "inngest";
import { z } from "zod";
import { defineWorkflow } from "./define";

const SAMPLE_CSV = `region,month,revenue,orders
north,2025-01,12400,310
north,2025-02,13950,342
south,2025-01,9800,251
south,2025-02,8700,230
west,2025-01,15100,377
west,2025-02,16420,401`;

/**
 * The program used when the model's answer holds no ```python block. The simulated demo
 * provider writes prose, not code, so without an API key this template is what runs; with a
 * real model the agent's own program runs (in the same sandbox, under the same limits).
 */
const TEMPLATE = `import csv, json, statistics
rows = list(csv.DictReader(open("data.csv", newline="")))
numeric = [c for c in rows[0] if all(r[c].replace(".", "", 1).lstrip("-").isdigit() for r in rows)] if rows else []
summary = {c: {"min": min(float(r[c]) for r in rows), "max": max(float(r[c]) for r in rows), "mean": round(statistics.mean(float(r[c]) for r in rows), 2), "sum": sum(float(r[c]) for r in rows)} for c in numeric}
json.dump({"rows": len(rows), "columns": list(rows[0]) if rows else [], "numeric": summary}, open("summary.json", "w"), indent=2)
print(json.dumps({"rows": len(rows), "numeric": summary}))
`;

function pythonBlock(text: string): string | null {
  const m = /```(?:python|py)\s*\n([\s\S]*?)```/.exec(text);
  return m?.[1]?.trim() ? m[1] : null;
}

/**
 * An agent that writes Python to answer a question about a CSV file, runs it in the sandbox
 * (no network, no host files, tight limits), and explains the result.
 */
export const dataAnalyst = defineWorkflow(
  {
    id: "data-analyst",
    name: "Data analyst",
    description: "An agent writes Python to analyse your CSV, runs it in the sandbox, and explains the numbers.",
    event: "analysis/requested",
    usesLlm: true,
    retries: 1,
    input: z.object({
      question: z
        .string({ error: "question must be text" })
        .trim()
        .min(3, "question must be at least 3 characters")
        .max(500, "question must be at most 500 characters")
        .default("Summarise each numeric column")
        .describe("What to find out"),
      csv: z
        .string({ error: "csv must be text" })
        .min(1, "csv must not be empty")
        .max(200_000, "csv must be at most 200000 characters")
        .default(SAMPLE_CSV)
        .describe("The data, as CSV with a header row"),
    }),
  },
  async ({ input, wflo }) => {
    const draft = await wflo.llm.complete("write-code", {
      system:
        "You are a data analyst. Answer with one Python 3 program in a ```python block. It reads data.csv (standard library only, no network) and prints one JSON object.",
      prompt: `Question: ${input.question}\nFirst lines of data.csv:\n${input.csv.split("\n").slice(0, 5).join("\n")}`,
    });
    const written = pythonBlock(draft.text);
    const code = written ?? TEMPLATE;

    const execution = await wflo.sandbox.run("run-analysis", {
      language: "python",
      code,
      files: [{ path: "data.csv", content: input.csv }],
      timeoutMs: 5_000,
      memoryMb: 128,
      cpuSeconds: 3,
      maxOutputBytes: 64 * 1024,
    });
    if (execution.outcome !== "ok") {
      throw new NonRetriableError(
        `the analysis program did not finish (${execution.outcome}): ${execution.stderr.slice(-500) || "no error output"}`,
      );
    }
    let result: unknown;
    try {
      result = JSON.parse(execution.stdout);
    } catch {
      throw new NonRetriableError("the analysis program did not print JSON");
    }

    const explanation = await wflo.llm.complete("explain", {
      system: "You explain analysis results to a business reader in a few sentences.",
      prompt: `Question: ${input.question}\nResult:\n${JSON.stringify(result)}`,
    });
    return {
      question: input.question,
      codeSource: written ? "model" : "template (the model's answer held no Python)",
      result,
      files: execution.files.map((f) => f.path),
      sandbox: { provider: execution.provider, durationMs: execution.durationMs, executionId: execution.executionId },
      explanation: explanation.text,
      simulated: draft.simulated || explanation.simulated,
    };
  },
);
