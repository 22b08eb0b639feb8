import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "../testing/fresh-db";
import { functionSource, runMigrations } from "../migrate";

/** One CREATE OR REPLACE FUNCTION statement of the file: its name and its whole text. */
type Definition = { name: string; text: string; body: string };

function definitions(source: string): Definition[] {
  const out: Definition[] = [];
  for (const m of source.matchAll(/CREATE OR REPLACE FUNCTION (\w+)\([\s\S]*?AS \$\$([\s\S]*?)\$\$;/g))
    out.push({ name: m[1]!, text: m[0], body: m[2]! });
  return out;
}

/**
 * pg_get_functiondef prints a function its own way: schema-qualified, `$function$` quotes,
 * canonical type names, one clause a line. Both sides are brought to that one spelling.
 */
function normalise(def: string): string {
  return def
    .replace(/\$function\$/g, "$$$$")
    .replace(/public\./g, "")
    .replace(/\bint\b/g, "integer")
    .replace(/\btimestamptz\b/g, "timestamp with time zone")
    .replace(/;\s*$/, "")
    .replace(/\s+/g, " ")
    .trim();
}

let h: FreshDb;
beforeAll(async () => {
  h = await freshDatabase();
});
afterAll(async () => h?.drop());

async function deployed(): Promise<Map<string, { def: string; src: string }>> {
  const rows = await h.sql<{ name: string; def: string; src: string }[]>`
    select p.proname as name, pg_get_functiondef(p.oid) as def, p.prosrc as src
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname like 'wflo\\_%' and p.proname <> 'wflo_audit_log_immutable'`;
  return new Map(rows.map((r) => [r.name, { def: r.def, src: r.src }]));
}

describe("db/functions/ledger.sql", () => {
  const file = definitions(functionSource("ledger.sql"));

  it("holds every ledger function once", () => {
    expect(file.map((d) => d.name).sort()).toEqual([
      "wflo_expire_reservations",
      "wflo_ledger_batch",
      "wflo_matching_counters",
      "wflo_reserve_batch",
      "wflo_settle_batch",
    ]);
  });

  it("is exactly what the migrated database runs (no other wflo_ function, no overload)", async () => {
    const db = await deployed();
    expect([...db.keys()].sort()).toEqual(file.map((d) => d.name).sort());
    for (const d of file) {
      const live = db.get(d.name)!;
      expect(live.src, d.name).toBe(d.body);
      expect(normalise(live.def), d.name).toBe(normalise(d.text));
    }
  });

  it("is applied again on every migration run: a drifted function is put back", async () => {
    await h.sql.unsafe(
      `CREATE OR REPLACE FUNCTION wflo_expire_reservations(p_limit int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN -1; END; $$`,
    );
    expect((await deployed()).get("wflo_expire_reservations")!.src).not.toBe(
      file.find((d) => d.name === "wflo_expire_reservations")!.body,
    );
    await runMigrations(h.url);
    await runMigrations(h.url); // idempotent: a second start changes nothing and does not fail
    const db = await deployed();
    for (const d of file) expect(db.get(d.name)!.src, d.name).toBe(d.body);
    const [row] = await h.sql<{ n: number }[]>`select wflo_expire_reservations(10) as n`;
    expect(row!.n).toBe(0);
  });
});
