import { describe, expect, it } from "vitest";
import { simulatedProvider } from "./simulated";

describe("simulated LLM provider", () => {
  it("is deterministic, labelled simulated, and about the prompt's subject", async () => {
    const req = { system: "You answer questions.", prompt: "Topic: vector databases for retrieval" };
    const a = await simulatedProvider.complete(req);
    const b = await simulatedProvider.complete(req);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ provider: "simulated", simulated: true, model: "wflo-sim-1" });
    // Whatever model was asked for, a simulated answer is priced as the simulated model.
    expect((await simulatedProvider.complete({ ...req, model: "gpt-4o" })).model).toBe("wflo-sim-1");
    expect(a.text.startsWith("[simulated]")).toBe(true);
    expect(a.text).toContain("vector");
    expect(a.usage.inputTokens).toBeGreaterThan(0);
    expect(a.usage.outputTokens).toBeGreaterThan(0);
    expect((await simulatedProvider.complete({ ...req, prompt: "Topic: something else entirely" })).text).not.toBe(
      a.text,
    );
  });

  it("does not take its subject from earlier simulated text quoted in the prompt", async () => {
    const r = await simulatedProvider.complete({
      prompt: "Topic: kubernetes\nDraft:\n[simulated] Stated plainly, measurement matters.",
    });
    expect(r.text).toContain("kubernetes");
    expect(r.text).not.toMatch(/\(on [^)]*(measurement|plainly)/);
  });
});
