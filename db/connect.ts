import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "./embedded";
import { runMigrations } from "./migrate";

export type DatabaseTarget = { url: string; embedded: boolean };

/**
 * The one way wflo gets a database: DATABASE_URL when set (checked, with an error
 * naming the variable and host), otherwise the embedded PostgreSQL under .wflo/.
 * Either way migrations are applied before anything else touches it.
 */
export async function prepareDatabase(log: (msg: string) => void = () => {}): Promise<DatabaseTarget> {
  const external = process.env.DATABASE_URL?.trim();
  let target: DatabaseTarget;
  if (external) {
    await assertReachable(external);
    target = { url: external, embedded: false };
    process.env.WFLO_EXTERNAL_DATABASE = "1";
  } else {
    const dir = process.env.WFLO_DATA_DIR ?? path.join(process.cwd(), ".wflo");
    const { url } = await startEmbeddedPostgres({
      dir: path.join(dir, "pg"),
      port: Number(process.env.WFLO_PG_PORT ?? 54320),
      database: "wflo",
      log,
    });
    process.env.DATABASE_URL = url;
    target = { url, embedded: true };
  }
  await runMigrations(target.url);
  return target;
}

async function assertReachable(url: string) {
  let host = "(unparseable)";
  try {
    const u = new URL(url);
    host = `${u.hostname}:${u.port || 5432}`;
  } catch {
    throw new Error(`DATABASE_URL is not a valid postgres:// URL`);
  }
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot reach the PostgreSQL server in DATABASE_URL (host ${host}): ${reason}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
