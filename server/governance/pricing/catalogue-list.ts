import { findProvider, type ModelPrice } from "@pydantic/genai-prices";
import { z } from "zod";
import { nanoToUsdString, roundUsdToNano } from "@/server/governance/money";
import { SIMULATED_MODEL, SIMULATED_PROVIDER, SIMULATED_RATES } from "./simulated";

/**
 * The @pydantic/genai-prices catalogue as a searchable list for the Models & prices page.
 * The package exposes lookups but no enumeration, so the provider ids it bundles are listed
 * here (a test checks every one still resolves); a provider added by a package update shows
 * up once its id is added.
 */
export const CATALOGUE_PROVIDER_IDS = [
  "anthropic",
  "arcee",
  "avian",
  "aws",
  "azure",
  "baseten",
  "cerebras",
  "cloudflare",
  "cohere",
  "cursor",
  "deepseek",
  "doubleword",
  "fireworks",
  "github-copilot",
  "google",
  "groq",
  "huggingface_cerebras",
  "huggingface_fireworks-ai",
  "huggingface_groq",
  "huggingface_hyperbolic",
  "huggingface_nebius",
  "huggingface_novita",
  "huggingface_nscale",
  "huggingface_ovhcloud",
  "huggingface_publicai",
  "huggingface_sambanova",
  "huggingface_together",
  "minimax",
  "mistral",
  "modal",
  "moonshotai",
  "novita",
  "openai",
  "openrouter",
  "ovhcloud",
  "perplexity",
  "quicksilverpro",
  "together",
  "typesafe",
  "voyageai",
  "x-ai",
  "zai",
  "zhipuai",
] as const;

/** Dollars per million tokens as exact decimal strings; null where the model has no such rate. */
export type CatalogueRates = {
  input: string | null;
  cachedInput: string | null;
  cacheWrite: string | null;
  output: string | null;
  reasoning: string | null;
};
export type CatalogueModel = {
  provider: string;
  providerName: string;
  model: string;
  name: string;
  deprecated: boolean;
  /** Prices vary by input size (tiers) or time of day; the base rate is shown. */
  variable: boolean;
  rates: CatalogueRates;
};

type Price = ModelPrice[string];

function usd(v: Price, key: string): { value: string | null; variable: boolean } {
  if (v === undefined) return { value: null, variable: false };
  if (typeof v === "number") return { value: nanoToUsdString(roundUsdToNano(v, key)), variable: false };
  return { value: nanoToUsdString(roundUsdToNano(v.base, key)), variable: true };
}

function ratesOf(p: ModelPrice): { rates: CatalogueRates; variable: boolean } {
  const parts = {
    input: usd(p.input_mtok, "input_mtok"),
    cachedInput: usd(p.cache_read_mtok, "cache_read_mtok"),
    cacheWrite: usd(p.cache_write_mtok, "cache_write_mtok"),
    output: usd(p.output_mtok, "output_mtok"),
    reasoning: usd(p.output_reasoning_mtok, "output_reasoning_mtok"),
  };
  return {
    rates: {
      input: parts.input.value,
      cachedInput: parts.cachedInput.value,
      cacheWrite: parts.cacheWrite.value,
      output: parts.output.value,
      reasoning: parts.reasoning.value,
    },
    variable: Object.values(parts).some((x) => x.variable),
  };
}

let cached: CatalogueModel[] | null = null;

/** Every catalogue model (~1,700 across ~40 providers) plus wflo's simulated model; built once per process. */
export function catalogueModels(): CatalogueModel[] {
  if (cached) return cached;
  const out: CatalogueModel[] = [];
  const sim = (r: bigint | null) => (r === null ? null : nanoToUsdString(r));
  out.push({
    provider: SIMULATED_PROVIDER,
    providerName: "wflo simulated (demo)",
    model: SIMULATED_MODEL,
    name: "wflo simulated model",
    deprecated: false,
    variable: false,
    rates: {
      input: sim(SIMULATED_RATES.input as bigint),
      cachedInput: sim(SIMULATED_RATES.cachedInput as bigint),
      cacheWrite: null,
      output: sim(SIMULATED_RATES.output as bigint),
      reasoning: null,
    },
  });
  for (const id of CATALOGUE_PROVIDER_IDS) {
    const p = findProvider({ providerId: id });
    if (!p) continue;
    for (const m of p.models) {
      // Time- or date-conditional prices: the first (current default) entry is shown.
      const conditional = Array.isArray(m.prices);
      const price = conditional ? (m.prices as { prices: ModelPrice }[])[0]?.prices : (m.prices as ModelPrice);
      if (!price) continue;
      const { rates, variable } = ratesOf(price);
      out.push({
        provider: p.id,
        providerName: p.name,
        model: m.id,
        name: m.name ?? m.id,
        deprecated: Boolean(m.deprecated),
        variable: variable || conditional,
        rates,
      });
    }
  }
  cached = out;
  return out;
}

export const searchCatalogueInput = z.object({
  query: z.string({ error: "query must be text" }).trim().max(200, "query must be at most 200 characters").default(""),
  provider: z.string().trim().max(64, "provider must be at most 64 characters").optional(),
  limit: z
    .number()
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(200, "limit must be at most 200")
    .default(50),
  offset: z.number().int("offset must be a whole number").min(0, "offset must not be negative").default(0),
});

/** Case-insensitive search over provider, model id and name; every word of the query must match. */
export function searchCatalogue({ query, provider, limit, offset }: z.output<typeof searchCatalogueInput>): {
  total: number;
  items: CatalogueModel[];
  providers: { id: string; name: string }[];
} {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const all = catalogueModels();
  const hits = all.filter((m) => {
    if (provider && m.provider !== provider) return false;
    const hay = `${m.provider} ${m.providerName} ${m.model} ${m.name}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  // Exact model ids first, then ids starting with the query, then the rest (catalogue order).
  const q = query.toLowerCase();
  const rank = (m: CatalogueModel) =>
    !q ? 0 : m.model.toLowerCase() === q ? 0 : m.model.toLowerCase().startsWith(q) ? 1 : 2;
  hits.sort((a, b) => rank(a) - rank(b));
  const providers = [...new Map(all.map((m) => [m.provider, m.providerName])).entries()].map(([id, name]) => ({
    id,
    name,
  }));
  return { total: hits.length, items: hits.slice(offset, offset + limit), providers };
}
