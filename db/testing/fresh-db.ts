import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDb, type Database } from "../client";
import { withDatabase } from "./global-setup";

export type FreshDb = { db: Database; url: string; sql: postgres.Sql; drop: () => Promise<void> };

/** A new database cloned from the migrated template: real PostgreSQL, nothing shared with other tests. */
export async function freshDatabase(): Promise<FreshDb> {
  const adminUrl = inject("pgAdminUrl");
  const template = inject("pgTemplate");
  // The template's pid prefix marks this database as belonging to the same test run.
  const name = `${template.replace("wflo_tpl_", "wflo_t_")}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const { db, sql } = createDb(url, { max: 5 });
  return {
    db,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
