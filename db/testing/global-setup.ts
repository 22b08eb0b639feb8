import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../embedded";
import { runMigrations } from "../migrate";

/**
 * Starts the real PostgreSQL the tests use (TEST_DATABASE_URL's server when set,
 * otherwise an embedded one under .wflo/test-pg), and builds a migrated template
 * database that each test file clones (CREATE DATABASE ... TEMPLATE) for a fresh start.
 * Names carry this process's pid so concurrent test runs never drop each other's databases.
 */
export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stop = async () => {};
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    const pg = await startEmbeddedPostgres({
      dir: path.join(process.cwd(), ".wflo", "test-pg"),
      port: Number(process.env.WFLO_TEST_PG_PORT ?? 54330),
      database: "postgres",
    });
    adminUrl = pg.url;
    stop = pg.stop;
  }
  const template = `wflo_tpl_${process.pid}`;
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const existing = await sql<{ datname: string }[]>`select datname from pg_database where datname ~ '^wflo_(t|tpl)_[0-9]+'`;
    for (const { datname } of existing) {
      const pid = Number(/^wflo_(?:t|tpl)_(\d+)/.exec(datname)?.[1]);
      if (!isAlive(pid) || pid === process.pid) await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    }
    await sql.unsafe(`create database "${template}"`);
  } finally {
    await sql.end();
  }
  await runMigrations(withDatabase(adminUrl, template));
  project.provide("pgAdminUrl", adminUrl);
  project.provide("pgTemplate", template);
  return async () => {
    const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await a.unsafe(`drop database if exists "${template}" with (force)`);
    } finally {
      await a.end();
    }
    await stop();
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgTemplate: string;
  }
}
