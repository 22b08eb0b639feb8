import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { canonicalJson, verifyAuditChain, writeAudit } from "./chain";

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh.drop());

const actor = { id: null, email: "tester@example.com" };

describe("audit chain", () => {
  it("canonical JSON sorts keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("links rows, survives concurrent writers, and verifies", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fresh.db.transaction((tx) =>
          writeAudit(tx, actor, {
            action: "test.write",
            targetType: "thing",
            targetId: String(i),
            before: { n: i },
            after: { n: i + 1, nested: { b: 2, a: 1 } },
          }),
        ),
      ),
    );
    const v = await verifyAuditChain(fresh.db, 7);
    expect(v).toEqual({ ok: true, rows: 20 });
  });

  it("refuses updates and deletes through the application role", async () => {
    const refused = { cause: expect.objectContaining({ message: expect.stringMatching(/append-only/) }) };
    await expect(fresh.db.execute(sql`update audit_log set action = 'x' where id = 1`)).rejects.toMatchObject(refused);
    await expect(fresh.db.execute(sql`delete from audit_log where id = 1`)).rejects.toMatchObject(refused);
  });

  it("detects an edited row", async () => {
    // Someone with superuser rights bypasses the trigger and rewrites history.
    await fresh.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`update audit_log set after = '{"n": 999}'::jsonb where id = 5`);
    });
    const v = await verifyAuditChain(fresh.db);
    expect(v).toMatchObject({ ok: false, brokenAtId: 5, reason: expect.stringMatching(/edited/) });
  });

  it("detects a deleted row", async () => {
    const other = await freshDatabase();
    try {
      for (let i = 0; i < 3; i++)
        await other.db.transaction((tx) =>
          writeAudit(tx, actor, { action: "a", targetType: "t", targetId: String(i) }),
        );
      await other.db.transaction(async (tx) => {
        await tx.execute(sql`set local session_replication_role = replica`);
        await tx.delete(auditLog).where(sql`id = 2`);
      });
      expect(await verifyAuditChain(other.db)).toMatchObject({
        ok: false,
        brokenAtId: 3,
        reason: expect.stringMatching(/removed/),
      });
    } finally {
      await other.drop();
    }
  });
});
