/**
 * The ledger's batch call: a process's pending reservations and settlements go to PostgreSQL
 * together through wflo_ledger_batch (db/functions/ledger.sql), and each answer row is parsed
 * into what its caller asked (a reserve's or a settle's outcome).
 */

import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "@/db/client";
import { sqlRows } from "@/db/rows";
import { Batcher, batcherFor } from "./batcher";
import { budgetTimeZone } from "./timezone";

export type ReserveItem = Record<string, unknown>;
type SettleItem = Record<string, unknown>;
type LedgerItem = { kind: "reserve"; item: ReserveItem } | { kind: "settle"; item: SettleItem };

/** A row of wflo_ledger_batch (db/functions/ledger.sql): which item it answers, and how. */
const ledgerRow = z.object({
  o_kind: z.enum(["reserve", "settle"]),
  o_idx: z.number().int(),
  o_outcome: z.string(),
  o_id: z.string().nullable(),
  o_detail: z.record(z.string(), z.unknown()).nullable(),
});
type LedgerRow = z.output<typeof ledgerRow>;
/** A reserve's answer: `existing` carries the held reservation's status and amount, `exceeded` the tightest budget (all text). */
const reserveRow = ledgerRow.extend({
  o_kind: z.literal("reserve"),
  o_outcome: z.enum(["reserved", "existing", "exceeded", "unpriced"]),
});
export const settleRow = ledgerRow.extend({
  o_kind: z.literal("settle"),
  o_outcome: z.enum(["settled", "released", "late", "already", "missing"]),
});
/** The text facts of an `existing` or `exceeded` reserve answer (other keys, e.g. counterKeys, are not read). */
export const reserveDetail = z
  .record(z.string(), z.unknown())
  .transform((d) =>
    Object.fromEntries(
      Object.entries(d).filter((e): e is [string, string | null] => e[1] === null || typeof e[1] === "string"),
    ),
  );

const ledgers = new WeakMap<object, Batcher<LedgerItem, LedgerRow>>();

/**
 * A process's pending reservations and settlements go to PostgreSQL together, as one call of
 * wflo_ledger_batch: one transaction, one commit, one hold of each hot budget row.
 */
async function runLedger(db: Database, items: LedgerItem[]): Promise<LedgerRow[]> {
  const settles: Record<string, unknown>[] = [];
  const reserves: Record<string, unknown>[] = [];
  const where: { kind: "settle" | "reserve"; idx: number }[] = [];
  for (const it of items) {
    const list = it.kind === "settle" ? settles : reserves;
    where.push({ kind: it.kind, idx: list.length });
    list.push({ ...it.item, i: list.length });
  }
  const rows = await sqlRows(
    db,
    sql`select o_kind, o_idx, o_outcome, o_id, o_detail from wflo_ledger_batch(${JSON.stringify(settles)}::jsonb, ${JSON.stringify(reserves)}::jsonb, ${budgetTimeZone()})`,
    ledgerRow,
  );
  const byKey = new Map(rows.map((r) => [`${r.o_kind}:${r.o_idx}`, r]));
  return where.map((w) => {
    const r = byKey.get(`${w.kind}:${w.idx}`);
    if (!r) throw new Error(`ledger batch returned no row for ${w.kind} #${w.idx}`);
    return r;
  });
}

const ledger = (db: Database) =>
  batcherFor(ledgers, db, () => new Batcher<LedgerItem, LedgerRow>((items) => runLedger(db, items)));
export const submitReserve = async (db: Database, item: ReserveItem) =>
  reserveRow.parse(await ledger(db).submit({ kind: "reserve", item }));
export const submitSettle = async (db: Database, item: SettleItem) =>
  settleRow.parse(await ledger(db).submit({ kind: "settle", item }));
