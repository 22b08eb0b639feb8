import { monotonicFactory } from "ulid";
import type postgres from "postgres";
import type { createDb } from "@/db/client";

/**
 * The engine's hot path uses postgres.js directly (prepared statements, one round trip per
 * checkpoint) rather than the query builder; the tables are declared in db/schema/engine.ts.
 */
export type Sql = ReturnType<typeof createDb>["sql"];
type Types = Sql extends postgres.Sql<infer T> ? T : never;
export type TxSql = postgres.TransactionSql<Types>;
export type Q = Sql | TxSql;

export const newId = monotonicFactory();

export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(json(value), "utf8");
}
