import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export function createDb(url: string, opts: { max?: number } = {}) {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    // Keep numerics and bigints exact: money is never a float in wflo.
    types: { bigint: postgres.BigInt },
  });
  return { db: drizzle(sql, { schema }), sql };
}

export type Database = ReturnType<typeof createDb>["db"];
/** A transaction handle, accepted wherever a Database is, so helpers compose inside a caller's transaction. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];
export type DbOrTx = Database | Tx;

type Holder = { url: string; conn: ReturnType<typeof createDb> };
const g = globalThis as unknown as { __wfloDb?: Holder };

/**
 * The process-wide connection. DATABASE_URL is set before first use: either by the
 * operator, or by server/boot.ts after it starts the embedded PostgreSQL.
 */
export function getDb(): Database {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: the database was used before server/boot.ts ran");
  if (!g.__wfloDb || g.__wfloDb.url !== url) g.__wfloDb = { url, conn: createDb(url) };
  return g.__wfloDb.conn.db;
}

export async function closeDb(): Promise<void> {
  const held = g.__wfloDb;
  g.__wfloDb = undefined;
  await held?.conn.sql.end({ timeout: 5 });
}
