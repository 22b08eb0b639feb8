import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

export const MIGRATIONS_DIR = findMigrationsDir();

/**
 * db/migrations of the wflo package this code belongs to, found from the module's own location
 * (the source file under tsx/vitest, the SDK bundle in dist/sdk, the Next.js server build), so
 * an SDK script run from another project applies wflo's migrations, not a folder under its cwd.
 * The cwd is the last resort (a bundler that rewrote import.meta.url to something else).
 */
function findMigrationsDir(): string {
  let dir: string | undefined;
  try {
    dir = path.dirname(fileURLToPath(import.meta.url));
  } catch {
    dir = undefined; // not a file: URL
  }
  for (; dir; dir = path.dirname(dir) === dir ? undefined : path.dirname(dir)) {
    const candidate = path.join(dir, "db", "migrations");
    if (existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
  }
  return path.join(process.cwd(), "db", "migrations");
}
const MIGRATION_LOCK = 727_001;

/**
 * SQL functions kept in one source file each (db/functions), beside db/migrations. Each file is
 * a list of idempotent CREATE OR REPLACE statements, applied after drizzle's migrations on every
 * start: the file, not the migration history, says what the function is now.
 */
export const FUNCTIONS_DIR = path.join(path.dirname(MIGRATIONS_DIR), "functions");
export const FUNCTION_FILES = ["ledger.sql"] as const;

export function functionSource(file: (typeof FUNCTION_FILES)[number]): string {
  return readFileSync(path.join(FUNCTIONS_DIR, file), "utf8");
}

/** Applies committed migrations, then the function files; an advisory lock lets several processes start at once. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_DIR });
    // Several statements in one file: the simple query protocol runs them in one round trip.
    for (const file of FUNCTION_FILES) await sql.unsafe(functionSource(file)).simple();
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
