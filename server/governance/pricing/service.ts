import { and, desc, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, DbOrTx } from "@/db/client";
import { governanceSettings, modelPrices, type ModelPriceRow } from "@/db/schema";
import { type Actor, writeAudit } from "@/server/audit/chain";
import { fieldError } from "@/server/errors";
import { nanoToUsdString } from "@/server/governance/money";
import { invalidatePriceBook } from "./price-book";
import type { modelKeyInput, setAllowUnpricedInput, setModelPriceInput } from "./schemas";

const PRICES_LOCK = 727_101;

/** A price row as people read it: dollars per million tokens as exact decimal strings. */
export function publicPrice(r: ModelPriceRow) {
  const usd = (v: bigint | null) => (v === null ? null : nanoToUsdString(v));
  return {
    id: r.id,
    provider: r.provider,
    model: r.model,
    version: r.version,
    currency: r.currency,
    inputPerMtokUsd: usd(r.inputPerMtokNano),
    outputPerMtokUsd: usd(r.outputPerMtokNano),
    cachedInputPerMtokUsd: usd(r.cachedInputPerMtokNano),
    cacheWritePerMtokUsd: usd(r.cacheWritePerMtokNano),
    reasoningPerMtokUsd: usd(r.reasoningPerMtokNano),
    perRequestUsd: usd(r.perRequestNano),
    removed: r.removed,
    note: r.note,
    effectiveFrom: r.effectiveFrom,
    createdByEmail: r.createdByEmail,
    createdAt: r.createdAt,
  };
}
export type PublicPrice = ReturnType<typeof publicPrice>;

async function nextVersion(
  tx: DbOrTx,
  provider: string,
  model: string,
): Promise<{ version: number; latest: ModelPriceRow | undefined }> {
  const [latest] = await tx
    .select()
    .from(modelPrices)
    .where(and(eq(modelPrices.provider, provider), eq(modelPrices.model, model)))
    .orderBy(desc(modelPrices.version))
    .limit(1);
  return { version: (latest?.version ?? 0) + 1, latest };
}

/**
 * Sets the price of a model (an override of the catalogue, or a custom model the catalogue
 * lacks) by inserting a new version. Earlier calls keep the version they were charged at.
 */
export async function setModelPrice(
  db: Database,
  actor: Actor,
  p: z.output<typeof setModelPriceInput>,
): Promise<PublicPrice> {
  const now = new Date();
  if (p.effectiveFrom && p.effectiveFrom.getTime() < now.getTime() - 60_000) {
    throw fieldError(
      "bad_request",
      "effectiveFrom",
      "must not be in the past (calls already made keep the price they were charged)",
    );
  }
  const row = await db.transaction(async (tx) => {
    // Serialises editors of prices so version numbers never collide.
    await tx.execute(sql`select pg_advisory_xact_lock(${PRICES_LOCK})`);
    const { version, latest } = await nextVersion(tx, p.provider, p.model);
    const [created] = await tx
      .insert(modelPrices)
      .values({
        provider: p.provider,
        model: p.model,
        version,
        currency: p.currency,
        inputPerMtokNano: p.inputPerMtokUsd,
        outputPerMtokNano: p.outputPerMtokUsd,
        cachedInputPerMtokNano: p.cachedInputPerMtokUsd ?? null,
        cacheWritePerMtokNano: p.cacheWritePerMtokUsd ?? null,
        reasoningPerMtokNano: p.reasoningPerMtokUsd ?? null,
        perRequestNano: p.perRequestUsd ?? 0n,
        note: p.note,
        effectiveFrom: p.effectiveFrom ?? now,
        createdByEmail: actor.email,
      })
      .returning();
    if (!created) throw new Error("insert returned no row");
    await writeAudit(tx, actor, {
      action: "model_price.set",
      targetType: "model_price",
      targetId: `${p.provider}/${p.model}`,
      before: latest ? publicPrice(latest) : undefined,
      after: publicPrice(created),
    });
    return created;
  });
  invalidatePriceBook(db);
  return publicPrice(row);
}

/** Withdraws an override from now on (a tombstone version); the model is priced from the catalogue again. */
export async function removeModelPrice(
  db: Database,
  actor: Actor,
  k: z.output<typeof modelKeyInput>,
): Promise<PublicPrice> {
  const row = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${PRICES_LOCK})`);
    const { version, latest } = await nextVersion(tx, k.provider, k.model);
    if (!latest || latest.removed)
      throw fieldError("not_found", "model", `no price override for ${k.provider}/${k.model}`);
    const [created] = await tx
      .insert(modelPrices)
      .values({
        ...latest,
        id: undefined,
        version,
        removed: true,
        note: "removed",
        effectiveFrom: new Date(),
        createdByEmail: actor.email,
        createdAt: new Date(),
      })
      .returning();
    if (!created) throw new Error("insert returned no row");
    await writeAudit(tx, actor, {
      action: "model_price.remove",
      targetType: "model_price",
      targetId: `${k.provider}/${k.model}`,
      before: publicPrice(latest),
    });
    return created;
  });
  invalidatePriceBook(db);
  return publicPrice(row);
}

/** The latest version of every overridden model (removed ones included, flagged). */
export async function listModelPrices(db: DbOrTx): Promise<PublicPrice[]> {
  const rows = await db
    .selectDistinctOn([modelPrices.provider, modelPrices.model])
    .from(modelPrices)
    .orderBy(modelPrices.provider, modelPrices.model, desc(modelPrices.version));
  return rows.map(publicPrice);
}

export async function modelPriceHistory(db: DbOrTx, k: z.output<typeof modelKeyInput>): Promise<PublicPrice[]> {
  const rows = await db
    .select()
    .from(modelPrices)
    .where(and(eq(modelPrices.provider, k.provider), eq(modelPrices.model, k.model)))
    .orderBy(desc(modelPrices.version));
  return rows.map(publicPrice);
}

export type GovernanceSettings = {
  allowUnpricedModels: boolean;
  version: number;
  updatedAt: Date;
  updatedByEmail: string | null;
};

export async function getGovernanceSettings(db: DbOrTx): Promise<GovernanceSettings> {
  const [row] = await db.select().from(governanceSettings).where(eq(governanceSettings.id, 1));
  return row ?? { allowUnpricedModels: false, version: 0, updatedAt: new Date(0), updatedByEmail: null };
}

/** Whether calls to models without a price may run under a budget (charged $0, flagged unpriced). */
export async function setAllowUnpricedModels(
  db: Database,
  actor: Actor,
  { allow }: z.output<typeof setAllowUnpricedInput>,
): Promise<GovernanceSettings> {
  return db.transaction(async (tx) => {
    const before = await getGovernanceSettings(tx);
    const [row] = await tx
      .insert(governanceSettings)
      .values({ id: 1, allowUnpricedModels: allow, updatedByEmail: actor.email })
      .onConflictDoUpdate({
        target: governanceSettings.id,
        set: {
          allowUnpricedModels: allow,
          version: sql`${governanceSettings.version} + 1`,
          updatedAt: new Date(),
          updatedByEmail: actor.email,
        },
      })
      .returning();
    if (!row) throw new Error("upsert returned no row");
    await writeAudit(tx, actor, {
      action: "governance.allow_unpriced_models",
      targetType: "governance_settings",
      targetId: "1",
      before: { allowUnpricedModels: before.allowUnpricedModels },
      after: { allowUnpricedModels: row.allowUnpricedModels },
    });
    return row;
  });
}
