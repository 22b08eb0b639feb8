import { eq } from "drizzle-orm";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, llmCalls } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { appRouter } from "@/server/api/root";
import { createInnerContext } from "@/server/api/trpc";
import type { Actor } from "@/server/audit/chain";
import { estimateCallCost } from "@/server/governance/estimate/estimate";
import { countTokens } from "@/server/governance/estimate/tokens";
import { formatUsd, usdToNano } from "@/server/governance/money";
import { startProviderServer, type ProviderServer } from "@/server/governance/testing/provider-server";
import { trackLlmCall } from "@/server/governance/track";
import { parseModelRef } from "./detect";
import { cataloguePrice } from "./catalogue";
import { getPriceBook, invalidatePriceBook, PriceBook, resolvePrice } from "./price-book";
import { costOf } from "./rates";
import { modelKeyInput, setModelPriceInput, type SetModelPriceInput } from "./schemas";
import { listModelPrices, modelPriceHistory, removeModelPrice, setModelPrice } from "./service";

let fresh: FreshDb;
let server: ProviderServer;
const admin: Actor = { id: null, email: "admin@example.com" };
const usage = (u: Partial<Parameters<typeof costOf>[0]>) => ({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...u,
});
const MTOK = 1_000_000;

beforeAll(async () => {
  fresh = await freshDatabase();
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
  await fresh.drop();
});

/** The panel's path: the router's input schema first, then the service (no rows are written by a refusal). */
const adminCaller = () =>
  appRouter.createCaller(
    createInnerContext({
      db: fresh.db,
      user: { id: "00000000-0000-4000-8000-0000000000ad", email: "admin@example.com", name: "Admin", role: "admin" },
    }),
  );

async function errorOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("money", () => {
  it("converts decimals exactly and formats without floats", () => {
    expect(usdToNano("0.0375")).toBe(37_500_000n);
    expect(usdToNano(0.1 + 0.2)).toBe(300_000_000n);
    expect(usdToNano("12")).toBe(12_000_000_000n);
    expect(() => usdToNano("-1", "limitUsd")).toThrow("limitUsd: must not be negative");
    expect(() => usdToNano("1e3", "x")).toThrow("x: must be a decimal amount");
    expect(formatUsd(1_234_500_000n)).toBe("$1.2345");
    expect(formatUsd(5n)).toBe("$0.000000005");
    expect(formatUsd(0n)).toBe("$0.00");
  });
});

describe("catalogue pricing", () => {
  it("prices input, cached input, cache writes, output and reasoning at their own rates, exactly", () => {
    const gpt4o = cataloguePrice("gpt-4o", "openai")!;
    expect(costOf(usage({ inputTokens: MTOK }), gpt4o.rates)).toBe(2_500_000_000n);
    expect(costOf(usage({ inputTokens: MTOK, cachedInputTokens: MTOK }), gpt4o.rates)).toBe(1_250_000_000n);
    expect(costOf(usage({ outputTokens: MTOK, reasoningTokens: MTOK / 2 }), gpt4o.rates)).toBe(10_000_000_000n); // reasoning falls back to output
    const haiku = cataloguePrice("claude-3-5-haiku-latest", "anthropic")!;
    // 1000 uncached @0.8 + 2000 cache writes @1 + 3000 cache reads @0.08, + 100 out @4 (per Mtok).
    expect(
      costOf(
        usage({ inputTokens: 6000, cacheWriteTokens: 2000, cachedInputTokens: 3000, outputTokens: 100 }),
        haiku.rates,
      ),
    ).toBe(800_000n + 2_000_000n + 240_000n + 400_000n);
    // One token at $0.0375/Mtok costs 37.5 nano-dollars: rounded UP to 38, never down.
    const rates = {
      input: 37_500_000n,
      output: 0n,
      cachedInput: null,
      cacheWrite: null,
      reasoning: null,
      perRequest: 0n,
    };
    expect(costOf(usage({ inputTokens: 1 }), rates)).toBe(38n);
    expect(costOf(usage({ inputTokens: 2 }), rates)).toBe(75n);
  });

  it("applies the long-context tier above its start", () => {
    const sonnet = cataloguePrice("claude-sonnet-4-5", null)!;
    expect(costOf(usage({ inputTokens: 200_000 }), sonnet.rates)).toBe(600_000_000n); // $3/Mtok
    expect(costOf(usage({ inputTokens: 200_001 }), sonnet.rates)).toBe(1_200_006_000n); // $6/Mtok
  });

  it("detects the provider from the model name", () => {
    expect(parseModelRef("GPT-4o")).toEqual({ provider: "openai", model: "gpt-4o" });
    expect(parseModelRef("claude-3-5-haiku-latest").provider).toBe("anthropic");
    expect(parseModelRef("models/gemini-2.5-flash")).toEqual({ provider: "google", model: "gemini-2.5-flash" });
    expect(parseModelRef("anthropic/claude-sonnet-4-5")).toEqual({ provider: "anthropic", model: "claude-sonnet-4-5" });
    expect(parseModelRef("mistral-large-latest").provider).toBe("mistral");
    expect(parseModelRef("my-own-model").provider).toBeNull();
  });

  it("prices a call in well under 50 µs once warm", () => {
    const book = new PriceBook([]);
    book.resolve("gpt-4o");
    const n = 20_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++)
      costOf(
        usage({ inputTokens: 1000 + i, outputTokens: 200, cachedInputTokens: 100 }),
        book.resolve("gpt-4o")!.rates,
      );
    expect(((performance.now() - t0) * 1000) / n).toBeLessThan(50);
  });
});

describe("price overrides and custom models", () => {
  it("names the field for a blank model, negative price and unknown currency, and writes nothing", async () => {
    // Through the procedure: its schema refuses the fields, the service the past date.
    const bad = async (input: Record<string, unknown>) =>
      (await errorOf(adminCaller().governance.models.setPrice(input as SetModelPriceInput))).message;
    const base = { provider: "openai", model: "gpt-4o", inputPerMtokUsd: 1, outputPerMtokUsd: 2 };
    expect(await bad({ ...base, model: "  " })).toBe("model: model must not be blank");
    expect(await bad({ ...base, outputPerMtokUsd: -2 })).toBe(
      "outputPerMtokUsd: outputPerMtokUsd must not be negative",
    );
    expect(await bad({ ...base, currency: "EUR" })).toBe(
      "currency: currency must be USD (the catalogue and every budget are in US dollars)",
    );
    expect(await bad({ ...base, inputPerMtokUsd: "abc" })).toContain(
      "inputPerMtokUsd: inputPerMtokUsd must be a decimal amount of US dollars",
    );
    expect(await bad({ ...base, effectiveFrom: "2001-01-01" })).toContain("effectiveFrom: must not be in the past");
    expect(await listModelPrices(fresh.db)).toEqual([]);
  });

  it("overrides a catalogue price in versions; calls keep the version they were charged at", async () => {
    const ctx = { runId: "run-p", stepId: "s", workflow: "pricing" };
    const openai = new OpenAI({ apiKey: "t", baseURL: server.openaiBaseUrl, maxRetries: 0 });
    const ask = () =>
      openai.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "price me" }],
        max_tokens: 50,
      });
    const req = { model: "gpt-4o", messages: [{ role: "user", content: "price me" }], maxOutputTokens: 50 };

    const v1 = await setModelPrice(
      fresh.db,
      admin,
      setModelPriceInput.parse({
        provider: "openai",
        model: "GPT-4o",
        inputPerMtokUsd: "1",
        outputPerMtokUsd: "2",
        note: "negotiated",
      }),
    );
    expect(v1).toMatchObject({
      version: 1,
      model: "gpt-4o",
      inputPerMtokUsd: "1",
      outputPerMtokUsd: "2",
      cachedInputPerMtokUsd: null,
    });
    const first = await trackLlmCall(fresh.db, ctx, req, ask);
    expect(first.price).toMatchObject({ source: "override", priceVersionId: v1.id });
    expect(first.costNano).toBe(BigInt(first.usage.inputTokens) * 1000n + BigInt(first.usage.outputTokens) * 2000n);

    const v2 = await setModelPrice(
      fresh.db,
      admin,
      setModelPriceInput.parse({
        provider: "openai",
        model: "gpt-4o",
        inputPerMtokUsd: 3,
        outputPerMtokUsd: 4,
      }),
    );
    expect(v2.version).toBe(2);
    const second = await trackLlmCall(fresh.db, ctx, req, ask);
    expect(second.price?.priceVersionId).toBe(v2.id);

    const calls = await fresh.db.select().from(llmCalls).where(eq(llmCalls.runId, "run-p")).orderBy(llmCalls.id);
    expect(calls.map((c) => [c.priceVersionId, c.costNano, c.rates?.input])).toEqual([
      [v1.id, first.costNano, "1000000000"],
      [v2.id, second.costNano, "3000000000"],
    ]);

    await removeModelPrice(fresh.db, admin, modelKeyInput.parse({ provider: "openai", model: "gpt-4o" }));
    expect((await resolvePrice(fresh.db, "gpt-4o"))?.source).toBe("catalogue");
    expect(
      (await modelPriceHistory(fresh.db, modelKeyInput.parse({ provider: "openai", model: "gpt-4o" }))).map((p) => [
        p.version,
        p.removed,
      ]),
    ).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    const audits = await fresh.db.select().from(auditLog).where(eq(auditLog.targetId, "openai/gpt-4o"));
    expect(audits.map((a) => a.action)).toEqual(["model_price.set", "model_price.set", "model_price.remove"]);
  });

  it("prices a custom model the catalogue lacks, and schedules a future price", async () => {
    expect(await resolvePrice(fresh.db, "acme-llm-7b")).toBeNull();
    await setModelPrice(
      fresh.db,
      admin,
      setModelPriceInput.parse({
        provider: "acme",
        model: "acme-llm-7b",
        inputPerMtokUsd: "0.1",
        outputPerMtokUsd: "0.2",
        reasoningPerMtokUsd: "0.5",
      }),
    );
    const later = new Date(Date.now() + 3_600_000);
    await setModelPrice(
      fresh.db,
      admin,
      setModelPriceInput.parse({
        provider: "acme",
        model: "acme-llm-7b",
        inputPerMtokUsd: "9",
        outputPerMtokUsd: "9",
        effectiveFrom: later,
      }),
    );
    invalidatePriceBook(fresh.db);
    const book = await getPriceBook(fresh.db);
    const now = book.resolve("acme-llm-7b")!;
    expect(now).toMatchObject({ source: "override", provider: "acme" });
    expect(costOf(usage({ outputTokens: MTOK, reasoningTokens: MTOK / 2 }), now.rates)).toBe(350_000_000n);
    expect(book.resolve("acme-llm-7b", null, new Date(later.getTime() + 1))!.rates.input).toBe(9_000_000_000n);
  });
});

describe("worst-case estimates", () => {
  it("counts prompt tokens with the real tokenizer and prices max output at the output rate", () => {
    const price = cataloguePrice("gpt-4o", "openai")!;
    const e = estimateCallCost(
      { source: "catalogue", provider: "openai", model: "gpt-4o", priceVersionId: null, rates: price.rates },
      {
        model: "gpt-4o",
        messages: [{ role: "user", content: "Hello, world" }],
        maxOutputTokens: 1000,
      },
    );
    expect(countTokens("Hello, world")).toBe(3);
    expect(e.promptTokens).toBe(3 + 1 + 4 + 3); // text + role + per-message framing + reply primer
    expect(e.estimateNano).toBe(BigInt(e.promptTokens) * 2500n + 1000n * 10_000n);
  });

  it("stays at or above what the provider server bills", async () => {
    const openai = new OpenAI({ apiKey: "t", baseURL: server.openaiBaseUrl, maxRetries: 0 });
    const messages = [
      { role: "system" as const, content: "Be brief." },
      { role: "user" as const, content: "Explain budgets in one line." },
    ];
    const res = await openai.chat.completions.create({ model: "gpt-4o-mini", messages, max_tokens: 30 });
    const price = cataloguePrice("gpt-4o-mini", "openai")!;
    const e = estimateCallCost(
      { source: "catalogue", provider: "openai", model: "gpt-4o-mini", priceVersionId: null, rates: price.rates },
      { model: "gpt-4o-mini", messages, maxOutputTokens: 30 },
    );
    expect(e.promptTokens).toBeGreaterThanOrEqual(res.usage!.prompt_tokens);
    expect(e.estimateNano).toBeGreaterThanOrEqual(
      costOf(usage({ inputTokens: res.usage!.prompt_tokens, outputTokens: res.usage!.completion_tokens }), price.rates),
    );
  });
});
