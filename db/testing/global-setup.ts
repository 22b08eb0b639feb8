import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../embedded";
import { runMigrations } from "../migrate";

export const TEMPLATE_DB = "wflo_test_template";

/**
 * Starts the real PostgreSQL the tests use (TEST_DATABASE_URL's server when set,
 * otherwise an embedded one under .wflo/test-pg), and builds a migrated template
 * database that each test file clones (CREATE DATABASE ... TEMPLATE) for a fresh start.
 */
export default async function setup(project: TestProject) {
  let adminUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    const url = await startEmbeddedPostgres({
      dir: path.join(process.cwd(), ".wflo", "test-pg"),
      port: Number(process.env.WFLO_TEST_PG_PORT ?? 54330),
      database: "postgres",
    });
    adminUrl = url;
  }
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const stale = await sql<{ datname: string }[]>`select datname from pg_database where datname like 'wflo_t_%'`;
    for (const { datname } of stale) await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    await sql.unsafe(`drop database if exists "${TEMPLATE_DB}" with (force)`);
    await sql.unsafe(`create database "${TEMPLATE_DB}"`);
  } finally {
    await sql.end();
  }
  await runMigrations(withDatabase(adminUrl, TEMPLATE_DB));
  project.provide("pgAdminUrl", adminUrl);
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
