import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { users } from "@/db/schema";
import { freshDatabase, type FreshDb } from "@/db/testing/fresh-db";
import { bootstrapAdmin } from "./bootstrap";
import { verifyPassword } from "./password";
import { clearAccountFailures, isSignInBlocked, recordSignInFailure, SIGN_IN_LIMITS } from "./rate-limit";

let fresh: FreshDb;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => fresh.drop());

describe("sign-in rate limiting", () => {
  it("blocks an account after repeated failures from any address, and clears on success", async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.perAccount; i++) {
      expect(await isSignInBlocked(fresh.db, "eve@example.com", `10.0.0.${i}`)).toBe(false);
      await recordSignInFailure(fresh.db, "eve@example.com", `10.0.0.${i}`);
    }
    expect(await isSignInBlocked(fresh.db, "EVE@example.com", "10.9.9.9")).toBe(true);
    expect(await isSignInBlocked(fresh.db, "someone-else@example.com", "10.9.9.9")).toBe(false);
    await clearAccountFailures(fresh.db, "eve@example.com");
    expect(await isSignInBlocked(fresh.db, "eve@example.com", "10.9.9.9")).toBe(false);
  });

  it("blocks an address that sprays many accounts", async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++)
      await recordSignInFailure(fresh.db, `user${i}@example.com`, "192.0.2.7");
    expect(await isSignInBlocked(fresh.db, "fresh-account@example.com", "192.0.2.7")).toBe(true);
    expect(await isSignInBlocked(fresh.db, "fresh-account@example.com", "192.0.2.8")).toBe(false);
  });
});

describe("first admin", () => {
  it("is created once from the environment, and never again", async () => {
    process.env.WFLO_ADMIN_EMAIL = "Boss@Example.com";
    process.env.WFLO_ADMIN_PASSWORD = "boss password 123";
    const printed: string[] = [];
    try {
      expect(await bootstrapAdmin(fresh.db, (l) => printed.push(l))).toEqual({ email: "boss@example.com" });
      expect(printed.join("\n")).not.toContain("boss password 123");
      const [u] = await fresh.db.select().from(users);
      expect(u).toMatchObject({ role: "admin", email: "boss@example.com" });
      expect(await verifyPassword(u!.passwordHash!, "boss password 123")).toBe(true);
      expect(await bootstrapAdmin(fresh.db, (l) => printed.push(l))).toBeNull();
      const [n] = await fresh.db.select({ n: count() }).from(users);
      expect(n!.n).toBe(1);
    } finally {
      delete process.env.WFLO_ADMIN_EMAIL;
      delete process.env.WFLO_ADMIN_PASSWORD;
    }
  });

  it("prints a generated password once when none is configured", async () => {
    const other = await freshDatabase();
    try {
      const printed: string[] = [];
      await Promise.all([
        bootstrapAdmin(other.db, (l) => printed.push(l)),
        bootstrapAdmin(other.db, (l) => printed.push(l)),
      ]);
      const shown = printed.filter((l) => l.startsWith("Generated password"));
      expect(shown).toHaveLength(1);
      const password = shown[0]!.split(": ").at(-1)!;
      const [u] = await other.db.select().from(users);
      expect(await verifyPassword(u!.passwordHash!, password)).toBe(true);
    } finally {
      await other.drop();
    }
  });

  it("rejects a weak configured password with a message naming the variable", async () => {
    const other = await freshDatabase();
    process.env.WFLO_ADMIN_PASSWORD = "short";
    try {
      await expect(bootstrapAdmin(other.db, () => {})).rejects.toThrow(/WFLO_ADMIN_PASSWORD.*at least 12 characters/);
    } finally {
      delete process.env.WFLO_ADMIN_PASSWORD;
      await other.drop();
    }
  });
});
