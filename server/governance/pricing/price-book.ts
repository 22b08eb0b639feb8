import { asc } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { modelPrices, type ModelPriceRow } from "@/db/schema";
import { cataloguePrice } from "./catalogue";
import { parseModelRef } from "./detect";
import type { Rates } from "./rates";
import { isSimulatedModel, SIMULATED_MODEL, SIMULATED_PROVIDER, SIMULATED_RATES } from "./simulated";
import { env } from "@/server/env";

/** `builtin`: wflo's own price for the simulated demo model. */
export type PriceSource = "override" | "catalogue" | "builtin";

/** The price a call is charged at, and where it came from (stored with the call). */
export type ResolvedPrice = {
  source: PriceSource;
  provider: string;
  /** The model id priced: the override's model or the catalogue's canonical id. */
  model: string;
  /** model_prices.id for overrides; null for the catalogue. */
  priceVersionId: number | null;
  rates: Rates;
};

type Version = { id: number; provider: string; effectiveFrom: number; version: number; removed: boolean; rates: Rates };

export function ratesOfRow(r: ModelPriceRow): Rates {
  return {
    input: r.inputPerMtokNano,
    output: r.outputPerMtokNano,
    cachedInput: r.cachedInputPerMtokNano,
    cacheWrite: r.cacheWritePerMtokNano,
    reasoning: r.reasoningPerMtokNano,
    perRequest: r.perRequestNano,
  };
}

/**
 * Admin overrides held in memory (the table is small: one row per edit), so pricing a call
 * costs no query. Each process reloads after `ttlMs`; the process that edits reloads at once.
 */
export class PriceBook {
  private readonly byModel = new Map<string, Version[]>();

  constructor(
    rows: readonly ModelPriceRow[],
    readonly loadedAt = Date.now(),
  ) {
    for (const r of rows) {
      const list = this.byModel.get(r.model) ?? [];
      list.push({
        id: r.id,
        provider: r.provider,
        effectiveFrom: r.effectiveFrom.getTime(),
        version: r.version,
        removed: r.removed,
        rates: ratesOfRow(r),
      });
      this.byModel.set(r.model, list);
    }
    // Newest first: the first version in effect at a time is the one that applies.
    for (const list of this.byModel.values())
      list.sort((a, b) => b.effectiveFrom - a.effectiveFrom || b.version - a.version);
  }

  private override(provider: string | null, model: string, at: number): { provider: string; v: Version } | null {
    const list = this.byModel.get(model);
    if (!list) return null;
    const seen = new Set<string>();
    for (const v of list) {
      if (provider && v.provider !== provider) continue;
      if (v.effectiveFrom > at || seen.has(v.provider)) continue;
      seen.add(v.provider);
      if (!v.removed) return { provider: v.provider, v };
    }
    return null;
  }

  /** Override first, then the catalogue; null when neither knows the model. */
  resolve(rawModel: string, rawProvider?: string | null, at: Date = new Date()): ResolvedPrice | null {
    const { provider, model } = parseModelRef(rawModel, rawProvider);
    const o = this.override(provider, model, at.getTime());
    if (o) return { source: "override", provider: o.provider, model, priceVersionId: o.v.id, rates: o.v.rates };
    if (isSimulatedModel(provider, model))
      return {
        source: "builtin",
        provider: SIMULATED_PROVIDER,
        model: SIMULATED_MODEL,
        priceVersionId: null,
        rates: SIMULATED_RATES,
      };
    const c = cataloguePrice(model, provider, at);
    if (c)
      return {
        source: "catalogue",
        provider: provider ?? c.provider,
        model: c.modelId,
        priceVersionId: null,
        rates: c.rates,
      };
    return null;
  }
}

const books = new WeakMap<object, { book: Promise<PriceBook>; at: number }>();

async function load(db: DbOrTx): Promise<PriceBook> {
  return new PriceBook(await db.select().from(modelPrices).orderBy(asc(modelPrices.id)));
}

/** The current price book for this database handle, reloaded when older than `ttlMs`. */
export async function getPriceBook(db: DbOrTx, ttlMs = env.WFLO_PRICE_CACHE_MS): Promise<PriceBook> {
  const held = books.get(db);
  if (held && Date.now() - held.at < ttlMs) return held.book;
  const book = load(db);
  books.set(db, { book, at: Date.now() });
  book.catch(() => books.delete(db));
  return book;
}

export function invalidatePriceBook(db: DbOrTx): void {
  books.delete(db);
}

export async function resolvePrice(
  db: DbOrTx,
  model: string,
  provider?: string | null,
  at?: Date,
): Promise<ResolvedPrice | null> {
  return (await getPriceBook(db)).resolve(model, provider, at);
}
