import type { SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "./client";

/**
 * Rows of a raw SQL statement (a plpgsql function's result, a CTE drizzle cannot spell), checked
 * against the row's schema: the one way to give such rows a type, instead of casting. A row of
 * another shape is a bug in the statement or the function, so it throws naming the query's column.
 */
export async function sqlRows<S extends z.ZodType>(db: DbOrTx, query: SQL, row: S): Promise<z.output<S>[]> {
  const rows: unknown = await db.execute(query);
  return z.array(row).parse(Array.from(rows as Iterable<unknown>));
}

/** The first row of a raw SQL statement, or undefined. */
export async function sqlRow<S extends z.ZodType>(db: DbOrTx, query: SQL, row: S): Promise<z.output<S> | undefined> {
  return (await sqlRows(db, query, row))[0];
}

/** Integers as PostgreSQL sends them through postgres-js (int: number; bigint/numeric/count: bigint or string). */
export const sqlInt = z.union([z.number(), z.bigint(), z.string().regex(/^-?\d+$/)]).transform((v) => Number(v));
export const sqlBigint = z
  .union([z.number().int(), z.bigint(), z.string().regex(/^-?\d+$/)])
  .transform((v) => BigInt(v));
