import { createHash } from "node:crypto";
import { SIMULATED_MODEL, SIMULATED_PROVIDER } from "@/server/governance/pricing/simulated";
import type { LlmProvider, LlmRequest, LlmResponse, ProviderAnswer, ResolvedRequest } from "./types";

/**
 * A demo provider that needs no API key: deterministic text derived from the prompt, so a
 * replayed or re-run workflow reads the same. Everything it returns says `simulated: true`.
 */
const OPENERS = [
  "Looking at this from first principles,",
  "The short answer is that",
  "Evidence from several angles suggests",
  "A careful reading indicates",
  "Taken together, the main points are that",
  "Stated plainly,",
];
const CLAIMS = [
  "the core trade-off is between speed and reliability",
  "most of the risk sits in a few well-known failure modes",
  "incremental adoption beats a single large migration",
  "measurement should come before optimisation",
  "the cost is dominated by a small number of heavy operations",
  "people and process matter as much as the tooling",
  "the strongest results come from combining two approaches",
  "there is less consensus than headlines imply",
];
const CLOSERS = [
  "Further sources would sharpen this.",
  "This is a reasonable starting point for a decision.",
  "The open questions are noted below.",
  "Confidence: moderate.",
];

const STOP = new Set([
  "about",
  "their",
  "there",
  "which",
  "would",
  "these",
  "those",
  "with",
  "from",
  "that",
  "this",
  "what",
  "into",
  "your",
  "write",
  "answer",
  "question",
  "research",
  "topic",
  "draft",
  "simulated",
  "stated",
  "plainly",
  "context",
]);

function keywords(prompt: string): string[] {
  // Earlier simulated output quoted in a prompt must not become the subject of the next answer.
  const words =
    prompt
      .replace(/\[simulated\][^\n]*/g, "")
      .toLowerCase()
      .match(/[a-z][a-z-]{4,}/g) ?? [];
  return [...new Set(words.filter((w) => !STOP.has(w)))].slice(0, 3);
}

export function simulateText(req: LlmRequest): string {
  const digest = createHash("sha256")
    .update(`${req.model ?? ""}\n${req.system ?? ""}\n${req.prompt}`)
    .digest();
  const pick = <T>(list: readonly T[], i: number): T => list[(digest[i] ?? 0) % list.length] as T;
  const about = keywords(req.prompt);
  const subject = about.length ? `on ${about.join(", ")}` : "on this";
  const sentences = [
    `[simulated] ${pick(OPENERS, 0)} ${pick(CLAIMS, 1)} (${subject}).`,
    `${pick(OPENERS, 2)} ${pick(CLAIMS, 3)}.`,
    pick(CLOSERS, 4),
  ];
  return sentences.join(" ");
}

function simulate(req: LlmRequest): LlmResponse {
  const text = simulateText(req);
  return {
    text,
    provider: SIMULATED_PROVIDER,
    // Always the simulated model, whatever was asked for: it is what the call is priced as.
    model: SIMULATED_MODEL,
    simulated: true,
    usage: {
      inputTokens: Math.ceil(((req.system?.length ?? 0) + req.prompt.length) / 4),
      outputTokens: Math.ceil(text.length / 4),
    },
  };
}

export const simulatedProvider: LlmProvider & { complete(req: LlmRequest): Promise<LlmResponse> } = {
  name: SIMULATED_PROVIDER,
  simulated: true,
  defaultModel: SIMULATED_MODEL,
  async complete(req) {
    return simulate(req);
  },
  async call(req: ResolvedRequest): Promise<ProviderAnswer> {
    const response = simulate(req);
    // Usage in the shape usage extraction reads (inputTokens / outputTokens).
    return { response, raw: { usage: response.usage } };
  },
};
